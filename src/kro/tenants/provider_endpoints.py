"""The team's side of the merchant API (signed-in users, seed 003 §4.5, §7.3–7.4):

- ``/v1/tenants/{id}/provider-configs`` — which providers, their credentials (write-only,
  encrypted at rest), currencies, priorities;
- ``/v1/tenants/{id}/routing-rules`` — rules on currency, amount range and channel;
- ``/v1/tenants/{id}/audit-log`` — who did what, when, from which IP (owners and admins).

Reading needs membership (another tenant → 404 ``tenant_not_found``); changing a mode's
configuration needs the right to manage that mode's keys (owner/admin: both modes;
developer: test only; viewer: nothing) → 403 ``insufficient_role``. Thin handlers over
:mod:`kro.tenants.service` (which the dashboard's pages call too).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from kro.idempotency.routing import IdempotentRoute
from kro.identity.dependencies import AppSettings, ClientIp, CurrentUser
from kro.kit.api import Envelope, Pagination, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.payments import provider_configs
from kro.payments.errors import (
    InvalidProviderConfig,
    ProviderConfigExists,
    ProviderConfigInUse,
    ProviderConfigNotFound,
    RoutingRuleNotFound,
)
from kro.payments.schemas import (
    ProviderConfigIn,
    ProviderConfigOut,
    ProviderConfigPatch,
    RoutingRuleIn,
    RoutingRuleOut,
)
from kro.providers.errors import UnknownProvider
from kro.tenants import service
from kro.tenants.dependencies import UserIdempotency
from kro.tenants.errors import InsufficientRole, TenantNotFound

router = APIRouter(prefix="/v1/tenants", tags=["tenants: providers"], route_class=IdempotentRoute)


@router.post(
    "/{tenant_id}/provider-configs",
    responses=error_responses(
        TenantNotFound,
        InsufficientRole,
        ProviderConfigExists,
        InvalidProviderConfig,
        UnknownProvider,
    ),
    status_code=status.HTTP_201_CREATED,
    dependencies=[UserIdempotency],
)
async def create_provider_config(
    tenant_id: str,
    body: ProviderConfigIn,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Envelope[ProviderConfigOut]:
    """Configure a provider for one mode. Errors: 404 ``tenant_not_found``, 403
    ``insufficient_role``, 409 ``provider_config_exists``, 422 ``invalid_provider_config``
    (live mode without credentials, an unsupported currency, a missing webhook secret)."""
    ms = await service.membership(session, user, tenant_id)
    config = await service.configure_provider(session, settings, ms, body, ip=ip)
    return ok(ProviderConfigOut.of(config, provider_configs.masked(settings, config)))


@router.get(
    "/{tenant_id}/provider-configs", responses=error_responses(TenantNotFound, InsufficientRole)
)
async def list_provider_configs(
    tenant_id: str,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    mode: Literal["test", "live"] = "test",
) -> Envelope[list[ProviderConfigOut]]:
    """The tenant's provider configurations in ``mode``, in default routing order;
    credentials appear only as a masked hint."""
    ms = await service.membership(session, user, tenant_id)
    configs = await provider_configs.list_configs(session, ms.tenant.id, mode)
    return ok([ProviderConfigOut.of(c, provider_configs.masked(settings, c)) for c in configs])


@router.patch(
    "/{tenant_id}/provider-configs/{config_id}",
    responses=error_responses(
        TenantNotFound, InsufficientRole, ProviderConfigNotFound, InvalidProviderConfig
    ),
)
async def update_provider_config(
    tenant_id: str,
    config_id: str,
    body: ProviderConfigPatch,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Envelope[ProviderConfigOut]:
    """Change a configuration (enable/disable, priority, weight, currencies, credentials).
    Errors: 404 ``provider_config_not_found``, 403 ``insufficient_role``, 422
    ``invalid_provider_config``."""
    ms = await service.membership(session, user, tenant_id)
    config = await service.update_provider(session, settings, ms, config_id, body, ip=ip)
    return ok(ProviderConfigOut.of(config, provider_configs.masked(settings, config)))


@router.delete(
    "/{tenant_id}/provider-configs/{config_id}",
    responses=error_responses(
        TenantNotFound, InsufficientRole, ProviderConfigNotFound, ProviderConfigInUse
    ),
)
async def delete_provider_config(
    tenant_id: str, config_id: str, user: CurrentUser, session: DbSession, ip: ClientIp
) -> Envelope[dict[str, str]]:
    """Remove a configuration. Errors: 404 ``provider_config_not_found``, 403, 409
    ``provider_config_in_use`` (open payments or pending refunds: disable it instead)."""
    ms = await service.membership(session, user, tenant_id)
    await service.remove_provider(session, ms, config_id, ip=ip)
    return ok({"id": config_id, "status": "deleted"})


@router.post(
    "/{tenant_id}/routing-rules",
    responses=error_responses(TenantNotFound, InsufficientRole, InvalidProviderConfig),
    status_code=status.HTTP_201_CREATED,
    dependencies=[UserIdempotency],
)
async def create_routing_rule(
    tenant_id: str, body: RoutingRuleIn, user: CurrentUser, session: DbSession, ip: ClientIp
) -> Envelope[RoutingRuleOut]:
    """Add a routing rule. Errors: 404, 403 ``insufficient_role``, 422
    ``invalid_provider_config`` (weights of the wrong length, min above max)."""
    ms = await service.membership(session, user, tenant_id)
    rule = await service.add_routing_rule(session, ms, body, ip=ip)
    return ok(RoutingRuleOut.of(rule))


@router.get(
    "/{tenant_id}/routing-rules", responses=error_responses(TenantNotFound, InsufficientRole)
)
async def list_routing_rules(
    tenant_id: str,
    user: CurrentUser,
    session: DbSession,
    mode: Literal["test", "live"] = "test",
) -> Envelope[list[RoutingRuleOut]]:
    """The tenant's rules in ``mode``, in the order they are tried."""
    ms = await service.membership(session, user, tenant_id)
    rules = await provider_configs.list_rules(session, ms.tenant.id, mode)
    return ok([RoutingRuleOut.of(r) for r in rules])


@router.delete(
    "/{tenant_id}/routing-rules/{rule_id}",
    responses=error_responses(TenantNotFound, InsufficientRole, RoutingRuleNotFound),
)
async def delete_routing_rule(
    tenant_id: str,
    rule_id: str,
    user: CurrentUser,
    session: DbSession,
    ip: ClientIp,
) -> Envelope[dict[str, str]]:
    """Remove a rule. Errors: 404 ``routing_rule_not_found``, 403 ``insufficient_role`` (the
    rule's own mode decides)."""
    ms = await service.membership(session, user, tenant_id)
    await service.remove_routing_rule(session, ms, rule_id, ip=ip)
    return ok({"id": rule_id, "status": "deleted"})


class AuditEntryOut(BaseModel):
    id: str
    action: str
    actor_id: str | None
    ip: str | None
    details: dict[str, Any] | None
    created_at: datetime


@router.get("/{tenant_id}/audit-log", responses=error_responses(TenantNotFound, InsufficientRole))
async def audit_log(
    tenant_id: str,
    user: CurrentUser,
    session: DbSession,
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = None,
) -> Envelope[list[AuditEntryOut]]:
    """The tenant's audit log, newest first (seed 003 §7.4): API keys created, rotated and
    revoked; provider configuration and routing changes; refunds; team changes — who, when,
    from which IP, what changed. Owners and admins only (403 ``insufficient_role``)."""
    ms = await service.membership(session, user, tenant_id)
    page, more = await service.audit_log(session, ms, limit=limit, before=cursor)
    items = [
        AuditEntryOut(
            id=e.id,
            action=e.action,
            actor_id=e.actor_id,
            ip=e.ip,
            details=e.details,
            created_at=e.created_at,
        )
        for e in page
    ]
    return ok(
        items,
        pagination=Pagination(
            limit=limit, has_more=more, next_cursor=page[-1].id if more else None
        ),
    )
