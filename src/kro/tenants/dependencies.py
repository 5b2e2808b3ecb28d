"""Typed dependencies of the tenants' own routes.

- ``UserIdempotency``: Idempotency-Key for a signed-in member (JSON API).
- ``DashboardUser`` / ``DashboardPage``: who is looking at the merchant dashboard
  (``/dashboard…``, the user's session cookie) and, under ``/dashboard/{tenant_id}/{mode}``,
  their :class:`~kro.tenants.service.Membership` of that tenant in that mode — the same
  membership the JSON API's ``/v1/tenants/{id}…`` routes ask for, so a tenant the viewer is
  not a member of is the 404 page.

API-key authentication (``CurrentTenant``) is the core's: :mod:`kro.identity.dependencies`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from kro.idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from kro.idempotency.routing import idempotent, user_scope
from kro.identity.models import User
from kro.kit.deps import DbSession
from kro.kit.errors import InvalidIdempotencyKey, NotFound
from kro.kit.openapi import raises
from kro.tenants import roles, service
from kro.tenants.models import Tenant
from kro.tenants.service import Membership
from kro.web.dependencies import PageUser

# Use with ``route_class=IdempotentRoute`` on the router (kro.idempotency.routing).
UserIdempotency = idempotent(user_scope)
# The errors of the key, in the contract of every route that takes it. (Until
# kro.idempotency.routing declares them on its dependency itself.)
IDEMPOTENCY_ERRORS = (InvalidIdempotencyKey, IdempotencyKeyReused, IdempotencyKeyInUse)
raises(*IDEMPOTENCY_ERRORS)(UserIdempotency.dependency)

AREA = "dashboard"
# The dashboard's sections: (path under /dashboard/{tenant}/{mode}, label). Navigation links
# of the shared layout cannot carry the tenant, so the dashboard renders these itself. Pages
# under another path belong to a section's page (refunds to payments, …).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("", "Overview"),
    ("payments", "Payments"),
    ("api-keys", "API keys"),
    ("webhooks", "Webhooks"),
    ("providers", "Providers"),
    ("reconciliation", "Reconciliation"),
    ("team", "Team"),
    ("audit-log", "Audit log"),
)
WITHIN = {"refunds": "payments", "events": "webhooks", "health": "providers"}


class PageNotFound(NotFound):
    code = "page_not_found"
    message = "No such page."


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The viewer (``user``) and their membership of one tenant, seen in one ``mode``
    (test | live), on the page of ``section``."""

    user: User
    ms: Membership
    mode: str
    section: str

    @property
    def tenant(self) -> Tenant:
        return self.ms.tenant

    @property
    def role(self) -> str:
        return self.ms.role

    @property
    def base(self) -> str:
        """``/dashboard/{tenant_id}/{mode}``: every link of the dashboard starts here."""
        return f"/dashboard/{self.tenant.id}/{self.mode}"

    def url(self, *parts: str) -> str:
        """A page of this tenant and mode: ``dash.url("payments", payment.id)``."""
        return "/".join((self.base, *parts)) if parts else self.base

    def mode_url(self, mode: str) -> str:
        """The same section in ``mode`` (an object of one mode is not the other's: its list)."""
        tail = f"/{self.section}" if self.section else ""
        return f"/dashboard/{self.tenant.id}/{mode}{tail}"

    @property
    def can_configure(self) -> bool:
        """Change this mode's providers, routing, webhooks; refund; run reconciliation."""
        return roles.can_configure(self.role, self.mode)

    @property
    def can_manage_keys(self) -> bool:
        return roles.can_manage_keys(self.role, self.mode)

    @property
    def can_manage_team(self) -> bool:
        return roles.can_manage_team(self.role)

    @property
    def sections(self) -> list[tuple[str, str, bool]]:
        """``(label, url, current)`` of the sections this role may open."""
        here = WITHIN.get(self.section, self.section)
        shown = []
        for section, label in SECTIONS:
            if section == "audit-log" and not roles.can_read_audit_log(self.role):
                continue
            shown.append((label, self.url(section) if section else self.base, section == here))
        return shown


async def dashboard_user(request: Request, user: PageUser) -> User:
    """The signed-in user on a dashboard page (sign-in redirect otherwise); the layout shows
    the dashboard's bar."""
    request.state.area = AREA
    return user


async def dashboard_page(
    request: Request, tenant_id: str, mode: str, user: PageUser, session: DbSession
) -> Dashboard:
    """The viewer's membership of ``tenant_id`` in ``mode``: 404 for a tenant they are not a
    member of (``tenant_not_found``, as the API) and for a mode that does not exist."""
    request.state.area = AREA
    if mode not in roles.MODES:
        raise PageNotFound()
    request.state.mode = mode  # the layout marks test mode on every page
    ms = await service.membership(session, user, tenant_id)
    parts = request.url.path.split("/")  # "", "dashboard", tenant, mode, section, …
    return Dashboard(user, ms, mode, parts[4] if len(parts) > 4 else "")


DashboardUser = Annotated[User, Depends(dashboard_user)]
DashboardPage = Annotated[Dashboard, Depends(dashboard_page)]
