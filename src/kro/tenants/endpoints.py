"""``/v1/tenants…`` (the team and its keys, for signed-in users), ``/v1/invitations…`` and
``GET /v1/tenant`` (what an API key authenticates as). Thin handlers over
:mod:`kro.tenants.service` and :mod:`kro.tenants.api_keys`.

Every POST that creates something honours ``Idempotency-Key`` (kro.idempotency). Each route
lists its own errors in ``responses=``; those of authentication (``CurrentUser``,
``CurrentTenant``), of the key and of request validation are added by :mod:`kro.kit.openapi`.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status

from kro.idempotency.routing import IdempotentRoute
from kro.identity.dependencies import AppSettings, ClientIp, CurrentTenant, CurrentUser
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.tenants import api_keys, service
from kro.tenants.dependencies import UserIdempotency
from kro.tenants.errors import (
    AlreadyMember,
    ApiKeyInactive,
    ApiKeyNotFound,
    InsufficientRole,
    InvitationNotFound,
    InvitationPending,
    LastOwner,
    MemberNotFound,
    TenantNotFound,
)
from kro.tenants.schemas import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    InvitationIn,
    InvitationOut,
    KeyTenantOut,
    MemberOut,
    RoleIn,
    TenantIn,
    TenantOut,
)

router = APIRouter(prefix="/v1/tenants", tags=["tenants"], route_class=IdempotentRoute)
invitations_router = APIRouter(
    prefix="/v1/invitations", tags=["tenants"], route_class=IdempotentRoute
)
merchant_router = APIRouter(tags=["merchant API"])
# What changing the team or the keys can meet: not a member (404), not allowed (403).
MANAGE = (TenantNotFound, InsufficientRole)
MEMBER_CHANGE = (*MANAGE, MemberNotFound, LastOwner)
KEY_CHANGE = (*MANAGE, ApiKeyNotFound, ApiKeyInactive)


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[UserIdempotency])
async def create_tenant(
    body: TenantIn, user: CurrentUser, session: DbSession, ip: ClientIp
) -> Envelope[TenantOut]:
    """Create a tenant (a business); the caller becomes its owner."""
    return ok(TenantOut.of(await service.create_tenant(session, user, body.name, ip=ip)))


@router.get("")
async def list_tenants(user: CurrentUser, session: DbSession) -> Envelope[list[TenantOut]]:
    """The caller's tenants with the caller's role in each."""
    return ok([TenantOut.of(ms) for ms in await service.my_tenants(session, user)])


@router.get("/{tenant_id}", responses=error_responses(TenantNotFound))
async def get_tenant(tenant_id: str, user: CurrentUser, session: DbSession) -> Envelope[TenantOut]:
    """One of the caller's tenants; 404 ``tenant_not_found`` for any other."""
    return ok(TenantOut.of(await service.membership(session, user, tenant_id)))


@router.post(
    "/{tenant_id}/members",
    status_code=status.HTTP_201_CREATED,
    dependencies=[UserIdempotency],
    responses=error_responses(*MANAGE, AlreadyMember, InvitationPending),
)
async def invite_member(
    tenant_id: str, body: InvitationIn, user: CurrentUser, session: DbSession, ip: ClientIp
) -> Envelope[InvitationOut]:
    """Invite a person by email with a role; they accept at ``/v1/invitations/{id}/accept``.
    Owners and admins (only owners invite owners): 403 ``insufficient_role``; 409
    ``already_member`` / ``invitation_pending``."""
    ms = await service.membership(session, user, tenant_id)
    invitation = await service.invite(session, ms, email=body.email, role=body.role, ip=ip)
    return ok(InvitationOut.model_validate(invitation))


@router.get("/{tenant_id}/members", responses=error_responses(TenantNotFound))
async def list_members(
    tenant_id: str, user: CurrentUser, session: DbSession
) -> Envelope[list[MemberOut]]:
    """The team (any member may read it)."""
    ms = await service.membership(session, user, tenant_id)
    return ok([MemberOut.of(view) for view in await service.members(session, ms)])


@router.get("/{tenant_id}/invitations", responses=error_responses(*MANAGE))
async def list_invitations(
    tenant_id: str, user: CurrentUser, session: DbSession
) -> Envelope[list[InvitationOut]]:
    """Pending invitations (owners and admins)."""
    ms = await service.membership(session, user, tenant_id)
    items = await service.pending_invitations(session, ms)
    return ok([InvitationOut.model_validate(i) for i in items])


@router.delete(
    "/{tenant_id}/invitations/{invitation_id}",
    responses=error_responses(*MANAGE, InvitationNotFound),
)
async def revoke_invitation(
    tenant_id: str, invitation_id: str, user: CurrentUser, session: DbSession, ip: ClientIp
) -> Envelope[InvitationOut]:
    """Withdraw a pending invitation: it can no longer be accepted. Owners and admins (only
    owners withdraw an owner's): 403 ``insufficient_role``; 404 ``invitation_not_found``."""
    ms = await service.membership(session, user, tenant_id)
    invitation = await service.revoke_invitation(session, ms, invitation_id, ip=ip)
    return ok(InvitationOut.model_validate(invitation))


@router.patch("/{tenant_id}/members/{member_id}", responses=error_responses(*MEMBER_CHANGE))
async def change_member_role(
    tenant_id: str,
    member_id: str,
    body: RoleIn,
    user: CurrentUser,
    session: DbSession,
    ip: ClientIp,
) -> Envelope[MemberOut]:
    """Change a member's role (owners and admins; only owners touch owners: 403
    ``insufficient_role``). 404 ``member_not_found``; 409 ``last_owner`` when it would leave no
    owner."""
    ms = await service.membership(session, user, tenant_id, lock=True)
    return ok(MemberOut.of(await service.change_role(session, ms, member_id, body.role, ip=ip)))


@router.delete("/{tenant_id}/members/{member_id}", responses=error_responses(*MEMBER_CHANGE))
async def remove_member(
    tenant_id: str, member_id: str, user: CurrentUser, session: DbSession, ip: ClientIp
) -> Envelope[dict[str, str]]:
    """Remove a member (same rules as changing a role)."""
    ms = await service.membership(session, user, tenant_id, lock=True)
    await service.remove_member(session, ms, member_id, ip=ip)
    return ok({"id": member_id, "status": "removed"})


@router.post(
    "/{tenant_id}/api-keys",
    status_code=status.HTTP_201_CREATED,
    dependencies=[UserIdempotency],
    responses=error_responses(*MANAGE),
)
async def create_api_key(
    tenant_id: str, body: ApiKeyIn, user: CurrentUser, session: DbSession, ip: ClientIp
) -> Envelope[ApiKeyCreatedOut]:
    """A new secret key for ``mode``, shown once (owners, admins; developers: test only)."""
    ms = await service.membership(session, user, tenant_id)
    key, secret = await api_keys.create_key(session, ms, mode=body.mode, name=body.name, ip=ip)
    return ok(ApiKeyCreatedOut(**ApiKeyOut.model_validate(key).model_dump(), secret=secret))


@router.get("/{tenant_id}/api-keys", responses=error_responses(TenantNotFound))
async def list_api_keys(
    tenant_id: str, user: CurrentUser, session: DbSession
) -> Envelope[list[ApiKeyOut]]:
    """The tenant's keys: prefix, mode, created, last used (developers see test keys only)."""
    ms = await service.membership(session, user, tenant_id)
    return ok([ApiKeyOut.model_validate(k) for k in await api_keys.list_keys(session, ms)])


@router.post(
    "/{tenant_id}/api-keys/{key_id}/rotate",
    status_code=status.HTTP_201_CREATED,
    dependencies=[UserIdempotency],
    responses=error_responses(*KEY_CHANGE),
)
async def rotate_api_key(
    tenant_id: str,
    key_id: str,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Envelope[ApiKeyCreatedOut]:
    """Replace a key by a new one (shown once); the old one works for
    ``KRO_API_KEY_ROTATION_GRACE`` seconds more. 409 ``api_key_inactive``."""
    ms = await service.membership(session, user, tenant_id)
    grace = timedelta(seconds=settings.api_key_rotation_grace)
    key, secret = await api_keys.rotate_key(session, ms, key_id, grace=grace, ip=ip)
    return ok(ApiKeyCreatedOut(**ApiKeyOut.model_validate(key).model_dump(), secret=secret))


@router.delete("/{tenant_id}/api-keys/{key_id}", responses=error_responses(*KEY_CHANGE))
async def revoke_api_key(
    tenant_id: str, key_id: str, user: CurrentUser, session: DbSession, ip: ClientIp
) -> Envelope[ApiKeyOut]:
    """Revoke a key at once. 409 ``api_key_inactive`` if it already is."""
    ms = await service.membership(session, user, tenant_id)
    return ok(ApiKeyOut.model_validate(await api_keys.revoke_key(session, ms, key_id, ip=ip)))


@invitations_router.get("")
async def my_invitations(user: CurrentUser, session: DbSession) -> Envelope[list[InvitationOut]]:
    """Pending invitations to the caller's email."""
    items = await service.my_invitations(session, user)
    return ok([InvitationOut.model_validate(i) for i, _ in items])


@invitations_router.post(
    "/{invitation_id}/accept",
    status_code=status.HTTP_201_CREATED,
    dependencies=[UserIdempotency],
    responses=error_responses(InvitationNotFound, AlreadyMember),
)
async def accept_invitation(
    invitation_id: str, user: CurrentUser, session: DbSession, ip: ClientIp
) -> Envelope[TenantOut]:
    """Join the tenant with the invited role. 404 ``invitation_not_found``; 409
    ``already_member``."""
    return ok(TenantOut.of(await service.accept_invitation(session, user, invitation_id, ip=ip)))


@merchant_router.get("/v1/tenant")
async def current_tenant(ctx: CurrentTenant, session: DbSession) -> Envelope[KeyTenantOut]:
    """The tenant and mode of the API key (``Authorization: Bearer sk_test_…``); rate
    limited per key (``KRO_API_RATE_LIMIT``)."""
    return ok(
        KeyTenantOut(
            tenant_id=ctx.tenant_id,
            tenant_name=await service.name_of(session, ctx.tenant_id),
            mode=ctx.mode,
            api_key_id=ctx.key.id,
            api_key_prefix=ctx.key.prefix,
        )
    )
