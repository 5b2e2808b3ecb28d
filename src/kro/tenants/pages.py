"""The merchant dashboard (seed 003) at ``/dashboard``: pick or create a business (tenant),
accept an invitation, then ``/dashboard/{tenant_id}/{mode}/…`` in test or live mode — the
overview, the team and its invitations, API keys, the audit log here; providers, routing and
webhooks in :mod:`kro.tenants.integration_pages`; payments, refunds, provider health and
reconciliation in :mod:`kro.tenants.payment_pages` (they live in ``kro.tenants`` because
membership is this product's, and a core module never imports a product).

Thin: each handler parses, authorizes with the viewer's membership (the same
:func:`kro.tenants.service.membership` and role rules as ``/v1/tenants…``) and calls the
service the JSON endpoint calls. Another tenant's id is the 404 page.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.dependencies import AppSettings, ClientIp
from kro.kit.deps import DbSession
from kro.payments.merchant import service as merchant
from kro.tenants import api_keys, integration_pages, payment_pages, roles, service
from kro.tenants.dependencies import Dashboard, DashboardPage, DashboardUser
from kro.tenants.schemas import ApiKeyIn, InvitationIn, RoleIn, TenantIn
from kro.web import navigation
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["dashboard pages"])
navigation.add("dashboard", "Businesses", "/dashboard", order=10)

ROLE_CHOICES = [(role, role.capitalize()) for role in roles.ROLES]
AUDIT_PAGE = 50


# Businesses and invitations -----------------------------------------------------------------


async def _index(session: AsyncSession, user: DashboardUser) -> dict[str, object]:
    return {
        "memberships": await service.my_tenants(session, user),
        "invitations": await service.my_invitations(session, user),
    }


@router.get("/dashboard")
async def tenants_page(request: Request, user: DashboardUser, session: DbSession) -> Response:
    """The viewer's businesses with their role, invitations waiting for them, and a form to
    create a business."""
    return render(request, "tenants/index.html", await _index(session, user))


@router.post("/dashboard/tenants")
async def create_tenant(
    request: Request, user: DashboardUser, session: DbSession, ip: ClientIp
) -> Response:
    """Create a business (as ``POST /v1/tenants``); the viewer is its owner."""
    form = await read_form(request)
    body = form.parse(TenantIn, {"name": form["name"]})
    ms = None
    if body is not None:
        async with form.saving(session, field="name"):
            ms = await service.create_tenant(session, user, body.name, ip=ip)
    if ms is None or not form.ok:
        ctx = form.context(**await _index(session, user))
        return render(request, "tenants/index.html", ctx, status=form.status)
    return redirect(
        request,
        f"/dashboard/{ms.tenant.id}/test",
        message=f"{ms.tenant.name} is ready and you are its owner. You are in test mode.",
    )


@router.get("/dashboard/invitations/{invitation_id}")
async def invitation_page(
    request: Request, invitation_id: str, user: DashboardUser, session: DbSession
) -> Response:
    """What an invitation link opens: who invites the viewer, with which role (404 unless it
    is addressed to the viewer's email and still pending)."""
    invitation, tenant = await service.my_invitation(session, user, invitation_id)
    return render(request, "tenants/invitation.html", {"invitation": invitation, "tenant": tenant})


@router.post("/dashboard/invitations/{invitation_id}/accept")
async def accept_invitation(
    request: Request, invitation_id: str, user: DashboardUser, session: DbSession, ip: ClientIp
) -> Response:
    """Join the business (as ``POST /v1/invitations/{id}/accept``)."""
    ms = await service.accept_invitation(session, user, invitation_id, ip=ip)
    return redirect(
        request,
        f"/dashboard/{ms.tenant.id}/test",
        message=f"You joined {ms.tenant.name} as {ms.role}.",
    )


@router.get("/dashboard/{tenant_id}")
async def tenant_home(request: Request, tenant_id: str) -> Response:
    """A business opens in test mode."""
    return redirect(request, f"/dashboard/{tenant_id}/test")


# Overview ------------------------------------------------------------------------------------


@router.get("/dashboard/{tenant_id}/{mode}")
async def overview(request: Request, dash: DashboardPage, session: DbSession) -> Response:
    """The business in this mode: the latest payments, and where to start."""
    latest, _ = await merchant.list_payments(
        session, dash.tenant.id, dash.mode, merchant.PaymentFilter(), limit=5, cursor=None
    )
    keys = await api_keys.list_keys(session, dash.ms, mode=dash.mode)
    active = [k for k in keys if k.revoked_at is None and k.replaced_by is None]
    return render(
        request, "tenants/overview.html", {"dash": dash, "payments": latest, "keys": active}
    )


# Team and invitations ------------------------------------------------------------------------


async def _team(request: Request, session: AsyncSession, dash: Dashboard) -> dict[str, object]:
    invitations = (
        await service.pending_invitations(session, dash.ms) if dash.can_manage_team else []
    )
    return {
        "dash": dash,
        "members": await service.members(session, dash.ms),
        "invitations": invitations,
        "roles": ROLE_CHOICES,
        "site": str(request.base_url).rstrip("/"),
    }


async def _team_failed(
    request: Request, session: AsyncSession, dash: Dashboard, form: Form
) -> Response:
    ctx = form.context(**await _team(request, session, dash))
    return render(request, "tenants/team.html", ctx, status=form.status)


@router.get("/dashboard/{tenant_id}/{mode}/team")
async def team(request: Request, dash: DashboardPage, session: DbSession) -> Response:
    """Members and their roles; owners and admins also see pending invitations and invite."""
    return render(request, "tenants/team.html", await _team(request, session, dash))


@router.post("/dashboard/{tenant_id}/{mode}/team/invitations")
async def invite(
    request: Request, dash: DashboardPage, session: DbSession, ip: ClientIp
) -> Response:
    """Invite a person by email with a role (as ``POST /v1/tenants/{id}/members``); they
    accept at the invitation's link."""
    form = await read_form(request)
    body = form.parse(InvitationIn, {"email": form["email"], "role": form["role"]})
    invitation = None
    if body is not None:
        async with form.saving(session, field="email"):
            invitation = await service.invite(
                session, dash.ms, email=body.email, role=body.role, ip=ip
            )
    if invitation is None or not form.ok:
        return await _team_failed(request, session, dash, form)
    return redirect(
        request,
        dash.url("team"),
        message=f"{invitation.email} is invited as {invitation.role}: send them the link below.",
    )


@router.post("/dashboard/{tenant_id}/{mode}/team/invitations/{invitation_id}/revoke")
async def revoke_invitation(
    request: Request, invitation_id: str, dash: DashboardPage, session: DbSession, ip: ClientIp
) -> Response:
    """Withdraw a pending invitation (as ``DELETE /v1/tenants/{id}/invitations/{id}``)."""
    form = await read_form(request)
    async with form.saving(session):
        await service.revoke_invitation(session, dash.ms, invitation_id, ip=ip)
    if not form.ok:
        return await _team_failed(request, session, dash, form)
    return redirect(request, dash.url("team"), message="The invitation is withdrawn.")


@router.post("/dashboard/{tenant_id}/{mode}/team/members/{member_id}/role")
async def change_role(
    request: Request, member_id: str, dash: DashboardPage, session: DbSession, ip: ClientIp
) -> Response:
    """Give a member another role (as ``PATCH /v1/tenants/{id}/members/{id}``)."""
    form = await read_form(request)
    body = form.parse(RoleIn, {"role": form["role"]})
    if body is not None:
        async with form.saving(session):
            ms = await service.membership(session, dash.user, dash.tenant.id, lock=True)
            await service.change_role(session, ms, member_id, body.role, ip=ip)
    if not form.ok:
        return await _team_failed(request, session, dash, form)
    return redirect(request, dash.url("team"), message="The role is changed.")


@router.post("/dashboard/{tenant_id}/{mode}/team/members/{member_id}/remove")
async def remove_member(
    request: Request, member_id: str, dash: DashboardPage, session: DbSession, ip: ClientIp
) -> Response:
    """Remove a member (as ``DELETE /v1/tenants/{id}/members/{id}``)."""
    form = await read_form(request)
    async with form.saving(session):
        ms = await service.membership(session, dash.user, dash.tenant.id, lock=True)
        await service.remove_member(session, ms, member_id, ip=ip)
    if not form.ok:
        return await _team_failed(request, session, dash, form)
    if member_id == dash.ms.member.id:
        return redirect(request, "/dashboard", message=f"You left {dash.tenant.name}.")
    return redirect(request, dash.url("team"), message="The member is removed.")


# API keys ------------------------------------------------------------------------------------


async def _keys(
    request: Request,
    session: AsyncSession,
    dash: Dashboard,
    form: Form | None = None,
    **extra: object,
) -> Response:
    """The keys page; with ``created`` (a key and its secret, shown this once) after a create
    or a rotation, with the form's errors after a failure."""
    ctx: dict[str, object] = {
        "dash": dash,
        "keys": await api_keys.list_keys(session, dash.ms, mode=dash.mode),
        "created": None,
        **extra,
    }
    if form is not None and not form.ok:
        return render(request, "tenants/api_keys.html", form.context(**ctx), status=form.status)
    return render(request, "tenants/api_keys.html", ctx)


@router.get("/dashboard/{tenant_id}/{mode}/api-keys")
async def keys_page(request: Request, dash: DashboardPage, session: DbSession) -> Response:
    """This mode's keys: prefix, name, created, last used, status (never a secret)."""
    return await _keys(request, session, dash)


@router.post("/dashboard/{tenant_id}/{mode}/api-keys")
async def create_key(
    request: Request, dash: DashboardPage, session: DbSession, ip: ClientIp
) -> Response:
    """A new secret key of this mode (as ``POST /v1/tenants/{id}/api-keys``), shown once on
    the page this answers with (never redirected to: it is not kept)."""
    form = await read_form(request)
    body = form.parse(ApiKeyIn, {"mode": dash.mode, "name": form["name"] or None})
    created = None
    if body is not None:
        async with form.saving(session, field="name"):
            key, secret = await api_keys.create_key(
                session, dash.ms, mode=body.mode, name=body.name, ip=ip
            )
            created = {"key": key, "secret": secret, "rotated": None}
    return await _keys(request, session, dash, form, created=created)


@router.post("/dashboard/{tenant_id}/{mode}/api-keys/{key_id}/rotate")
async def rotate_key(
    request: Request,
    key_id: str,
    dash: DashboardPage,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Response:
    """Replace a key (as ``POST /v1/tenants/{id}/api-keys/{id}/rotate``): the new secret is
    shown once; the old key works for ``KRO_API_KEY_ROTATION_GRACE`` more."""
    form = await read_form(request)
    created = None
    async with form.saving(session):
        grace = timedelta(seconds=settings.api_key_rotation_grace)
        key, secret = await api_keys.rotate_key(session, dash.ms, key_id, grace=grace, ip=ip)
        created = {"key": key, "secret": secret, "rotated": key_id}
    return await _keys(request, session, dash, form, created=created)


@router.post("/dashboard/{tenant_id}/{mode}/api-keys/{key_id}/revoke")
async def revoke_key(
    request: Request, key_id: str, dash: DashboardPage, session: DbSession, ip: ClientIp
) -> Response:
    """Revoke a key at once (as ``DELETE /v1/tenants/{id}/api-keys/{id}``)."""
    form = await read_form(request)
    async with form.saving(session):
        key = await api_keys.revoke_key(session, dash.ms, key_id, ip=ip)
    if not form.ok:
        return await _keys(request, session, dash, form)
    return redirect(request, dash.url("api-keys"), message=f"The key {key.prefix}… is revoked.")


# Audit log -----------------------------------------------------------------------------------


@router.get("/dashboard/{tenant_id}/{mode}/audit-log")
async def audit_log(
    request: Request,
    dash: DashboardPage,
    session: DbSession,
    before: str | None = Query(None, max_length=40),
) -> Response:
    """Who did what, when, from which IP (as ``GET /v1/tenants/{id}/audit-log``; owners and
    admins). Actors are named by their email when they are members."""
    entries, more = await service.audit_log(session, dash.ms, limit=AUDIT_PAGE, before=before)
    members = {view.member.user_id: view.email for view in await service.members(session, dash.ms)}
    next_url = f"{dash.url('audit-log')}?before={entries[-1].id}" if more else None
    return render(
        request,
        "tenants/audit_log.html",
        {"dash": dash, "entries": entries, "actors": members, "next_url": next_url},
    )


router.include_router(integration_pages.router)
router.include_router(payment_pages.router)
