"""Tenant and team use cases. Services take the session and only flush (the caller commits).

Every function that touches a tenant takes the caller's :class:`Membership`, obtained from
:func:`membership` (404 for a tenant the caller is not a member of), so no query escapes the
caller's tenants. Team changes are audit-logged with the caller's IP (seed 003 s.7.4).

The JSON API (``/v1/tenants…``, a user's bearer token) and the dashboard's pages (the user's
session cookie) call the same functions here, so a role means the same thing in both: the
team, the audit log, and the payments core's provider configurations and routing rules as a
member may change them (:func:`require_configurer`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.audit.models import AuditEntry
from kro.identity import service as identity
from kro.identity.models import User
from kro.kit.clock import utcnow
from kro.payments import provider_configs
from kro.payments.models import ProviderConfig, RoutingRule
from kro.payments.schemas import ProviderConfigIn, ProviderConfigPatch, RoutingRuleIn
from kro.settings import Settings
from kro.tenants import roles
from kro.tenants.errors import (
    AlreadyMember,
    InsufficientRole,
    InvitationNotFound,
    InvitationPending,
    LastOwner,
    MemberNotFound,
    TenantNotFound,
)
from kro.tenants.models import Tenant, TenantInvitation, TenantMember


@dataclass(frozen=True, slots=True)
class Membership:
    """The caller (``user_id``) in ``tenant`` with ``member.role``."""

    tenant: Tenant
    member: TenantMember

    @property
    def user_id(self) -> str:
        return self.member.user_id

    @property
    def role(self) -> str:
        return self.member.role


@dataclass(frozen=True, slots=True)
class MemberView:
    member: TenantMember
    email: str


async def create_tenant(
    session: AsyncSession, user: User, name: str, *, ip: str | None
) -> Membership:
    """A new tenant whose creator is its owner."""
    tenant = Tenant(name=name.strip(), created_by=user.id)
    session.add(tenant)
    await session.flush()
    member = TenantMember(tenant_id=tenant.id, user_id=user.id, role="owner")
    session.add(member)
    await session.flush()
    ms = Membership(tenant, member)
    await _audit(ms, session, "tenants.created", ip, name=tenant.name)
    return ms


async def name_of(session: AsyncSession, tenant_id: str) -> str:
    """The tenant's name (an API key's tenant: it exists, the key's foreign key says so)."""
    tenant = await session.get(Tenant, tenant_id)
    assert tenant is not None
    return tenant.name


async def my_tenants(session: AsyncSession, user: User) -> list[Membership]:
    """The caller's tenants with their role, oldest first."""
    rows = await session.execute(
        select(Tenant, TenantMember)
        .join(TenantMember, TenantMember.tenant_id == Tenant.id)
        .where(TenantMember.user_id == user.id)
        .order_by(Tenant.id)
    )
    return [Membership(tenant, member) for tenant, member in rows.all()]


async def membership(
    session: AsyncSession, user: User, tenant_id: str, *, lock: bool = False
) -> Membership:
    """The caller's membership of ``tenant_id``; TenantNotFound (404) if they have none.

    ``lock`` takes the tenant row ``FOR UPDATE``: team changes on one tenant run one at a time,
    so two owners demoting each other cannot leave it with none.
    """
    stmt = select(Tenant).where(Tenant.id == tenant_id)
    if lock:
        stmt = stmt.with_for_update()
    tenant = (await session.execute(stmt)).scalar_one_or_none()
    member = (
        await session.execute(
            select(TenantMember).where(
                TenantMember.tenant_id == tenant_id, TenantMember.user_id == user.id
            )
        )
    ).scalar_one_or_none()
    if tenant is None or member is None:
        raise TenantNotFound()
    return Membership(tenant, member)


def require_team_manager(ms: Membership) -> None:
    """InsufficientRole (403) unless the caller is an owner or admin."""
    if not roles.can_manage_team(ms.role):
        raise InsufficientRole()


def require_configurer(ms: Membership, mode: str) -> None:
    """InsufficientRole (403) unless the caller may change ``mode``'s configuration and act on
    its money (:func:`kro.tenants.roles.can_configure`: owner/admin both modes, developer test
    only, viewer never)."""
    if not roles.can_configure(ms.role, mode):
        raise InsufficientRole(f"A {ms.role} cannot change {mode} mode.")


async def invite(
    session: AsyncSession, ms: Membership, *, email: str, role: str, ip: str | None
) -> TenantInvitation:
    """Invite ``email`` with ``role``. 403 unless the caller may grant it; 409
    ``already_member`` / ``invitation_pending``."""
    if not roles.can_manage_member(ms.role, role, role):
        raise InsufficientRole()
    email = identity.normalise_email(email)
    user = await identity.get_user_by_email(session, email)
    if user is not None and await _member_of(session, ms.tenant.id, user.id) is not None:
        raise AlreadyMember()
    pending = await session.execute(
        select(TenantInvitation.id).where(
            TenantInvitation.tenant_id == ms.tenant.id,
            TenantInvitation.email == email,
            TenantInvitation.status == "pending",
        )
    )
    if pending.first() is not None:
        raise InvitationPending()
    invitation = TenantInvitation(
        tenant_id=ms.tenant.id, email=email, role=role, invited_by=ms.user_id
    )
    session.add(invitation)
    await session.flush()
    await _audit(ms, session, "tenants.member_invited", ip, email=email, role=role)
    return invitation


async def members(session: AsyncSession, ms: Membership) -> list[MemberView]:
    """The tenant's members, oldest first, with their emails (from ``kro.identity``)."""
    rows = await session.execute(
        select(TenantMember).where(TenantMember.tenant_id == ms.tenant.id).order_by(TenantMember.id)
    )
    return [
        MemberView(member, (await identity.get_user(session, member.user_id)).email)
        for member in rows.scalars()
    ]


async def pending_invitations(session: AsyncSession, ms: Membership) -> list[TenantInvitation]:
    """The tenant's pending invitations (team managers only: 403 otherwise)."""
    require_team_manager(ms)
    rows = await session.execute(
        select(TenantInvitation)
        .where(TenantInvitation.tenant_id == ms.tenant.id, TenantInvitation.status == "pending")
        .order_by(TenantInvitation.id)
    )
    return list(rows.scalars())


async def change_role(
    session: AsyncSession, ms: Membership, member_id: str, role: str, *, ip: str | None
) -> MemberView:
    """Give member ``member_id`` the ``role``. 404 ``member_not_found``; 403 unless the caller
    may (only owners touch owners); 409 ``last_owner``. ``ms`` must be locked."""
    target = await _member(session, ms, member_id)
    if not roles.can_manage_member(ms.role, target.role, role):
        raise InsufficientRole()
    if target.role == "owner" and role != "owner":
        await _keep_an_owner(session, ms.tenant.id)
    before, target.role = target.role, role
    await session.flush()
    await _audit(
        ms,
        session,
        "tenants.member_role_changed",
        ip,
        member_id=target.id,
        user_id=target.user_id,
        before=before,
        after=role,
    )
    return MemberView(target, (await identity.get_user(session, target.user_id)).email)


async def remove_member(
    session: AsyncSession, ms: Membership, member_id: str, *, ip: str | None
) -> None:
    """Remove member ``member_id`` (same rules as :func:`change_role`). ``ms`` must be locked."""
    target = await _member(session, ms, member_id)
    if not roles.can_manage_member(ms.role, target.role):
        raise InsufficientRole()
    if target.role == "owner":
        await _keep_an_owner(session, ms.tenant.id)
    await session.delete(target)
    await session.flush()
    await _audit(
        ms,
        session,
        "tenants.member_removed",
        ip,
        member_id=target.id,
        user_id=target.user_id,
        role=target.role,
    )


async def my_invitations(
    session: AsyncSession, user: User
) -> list[tuple[TenantInvitation, Tenant]]:
    """Pending invitations addressed to the caller's email, each with its tenant."""
    rows = await session.execute(
        select(TenantInvitation, Tenant)
        .join(Tenant, Tenant.id == TenantInvitation.tenant_id)
        .where(TenantInvitation.email == user.email, TenantInvitation.status == "pending")
        .order_by(TenantInvitation.id)
    )
    return [(invitation, tenant) for invitation, tenant in rows.all()]


async def my_invitation(
    session: AsyncSession, user: User, invitation_id: str
) -> tuple[TenantInvitation, Tenant]:
    """A pending invitation addressed to the caller's email, with its tenant (what the
    invitation link opens); 404 ``invitation_not_found`` for any other."""
    row = (
        await session.execute(
            select(TenantInvitation, Tenant)
            .join(Tenant, Tenant.id == TenantInvitation.tenant_id)
            .where(
                TenantInvitation.id == invitation_id,
                TenantInvitation.email == user.email,
                TenantInvitation.status == "pending",
            )
        )
    ).first()
    if row is None:
        raise InvitationNotFound()
    return row[0], row[1]


async def revoke_invitation(
    session: AsyncSession, ms: Membership, invitation_id: str, *, ip: str | None
) -> TenantInvitation:
    """Withdraw a pending invitation of the caller's tenant (owners and admins; only owners
    withdraw an owner's). 404 ``invitation_not_found`` for any other invitation; 403."""
    invitation = await session.get(TenantInvitation, invitation_id, with_for_update=True)
    if invitation is None or invitation.tenant_id != ms.tenant.id or invitation.status != "pending":
        raise InvitationNotFound()
    if not roles.can_manage_member(ms.role, invitation.role):
        raise InsufficientRole()
    invitation.status = "revoked"
    await session.flush()
    await _audit(
        ms, session, "tenants.invitation_revoked", ip, invitation_id=invitation.id,
        email=invitation.email,
    )  # fmt: skip
    return invitation


async def accept_invitation(
    session: AsyncSession, user: User, invitation_id: str, *, ip: str | None
) -> Membership:
    """Join the tenant of a pending invitation addressed to the caller's email; 404
    ``invitation_not_found`` otherwise (someone else's invitation included); 409
    ``already_member``."""
    invitation = (
        await session.execute(
            select(TenantInvitation)
            .where(
                TenantInvitation.id == invitation_id,
                TenantInvitation.email == user.email,
                TenantInvitation.status == "pending",
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    if invitation is None:
        raise InvitationNotFound()
    if await _member_of(session, invitation.tenant_id, user.id) is not None:
        raise AlreadyMember()
    invitation.status, invitation.accepted_at = "accepted", utcnow()
    member = TenantMember(tenant_id=invitation.tenant_id, user_id=user.id, role=invitation.role)
    session.add(member)
    await session.flush()
    tenant = await session.get(Tenant, invitation.tenant_id)
    assert tenant is not None
    ms = Membership(tenant, member)
    await _audit(
        ms,
        session,
        "tenants.invitation_accepted",
        ip,
        invitation_id=invitation.id,
        role=member.role,
    )
    return ms


async def audit_log(
    session: AsyncSession, ms: Membership, *, limit: int, before: str | None = None
) -> tuple[list[AuditEntry], bool]:
    """The tenant's audit log, newest first (seed 003 §7.4): keys, providers, routing,
    refunds, the team — who, when, from which IP. ``before`` is the cursor (the last id of the
    previous page). Returns ``(page, has_more)``. Owners and admins only (403)."""
    if not roles.can_read_audit_log(ms.role):
        raise InsufficientRole("Only owners and admins read the audit log.")
    rows = await audit.entries_for_target(
        session, target_type="tenant", target_id=ms.tenant.id, limit=limit + 1, before_id=before
    )
    return rows[:limit], len(rows) > limit


# Provider configurations and routing rules (kro.payments), as a member changes them ---------


def _config_change(body: ProviderConfigIn | ProviderConfigPatch) -> provider_configs.ConfigChange:
    credentials = body.credentials.model_dump(exclude_none=True) if body.credentials else None
    return provider_configs.ConfigChange(
        enabled=body.enabled,
        priority=body.priority,
        weight=body.weight,
        currencies=body.currencies,
        credentials=credentials,
    )


async def configure_provider(
    session: AsyncSession,
    settings: Settings,
    ms: Membership,
    body: ProviderConfigIn,
    *,
    ip: str | None,
) -> ProviderConfig:
    """Configure a provider for ``body.mode``: 403 (:func:`require_configurer`), then as
    :func:`kro.payments.provider_configs.create_config` (409 ``provider_config_exists``, 422
    ``invalid_provider_config``)."""
    require_configurer(ms, body.mode)
    return await provider_configs.create_config(
        session,
        settings,
        tenant_id=ms.tenant.id,
        mode=body.mode,
        provider=body.provider,
        change=_config_change(body),
        actor_id=ms.user_id,
        ip=ip,
    )


async def update_provider(
    session: AsyncSession,
    settings: Settings,
    ms: Membership,
    config_id: str,
    body: ProviderConfigPatch,
    *,
    ip: str | None,
) -> ProviderConfig:
    """Change one of the tenant's configurations; its own mode decides the role (403). 404
    ``provider_config_not_found``; 422 ``invalid_provider_config``."""
    config = await provider_configs.get_config(session, ms.tenant.id, config_id)
    require_configurer(ms, config.mode)
    return await provider_configs.update_config(
        session,
        settings,
        tenant_id=ms.tenant.id,
        config_id=config_id,
        change=_config_change(body),
        actor_id=ms.user_id,
        ip=ip,
    )


async def remove_provider(
    session: AsyncSession, ms: Membership, config_id: str, *, ip: str | None
) -> None:
    """Remove one of the tenant's configurations (its mode decides the role: 403). 404; 409
    ``provider_config_in_use``."""
    config = await provider_configs.get_config(session, ms.tenant.id, config_id)
    require_configurer(ms, config.mode)
    await provider_configs.delete_config(
        session, tenant_id=ms.tenant.id, config_id=config_id, actor_id=ms.user_id, ip=ip
    )


async def add_routing_rule(
    session: AsyncSession, ms: Membership, body: RoutingRuleIn, *, ip: str | None
) -> RoutingRule:
    """Add a routing rule for ``body.mode`` (403; 422 ``invalid_provider_config``)."""
    require_configurer(ms, body.mode)
    rule = RoutingRule(
        tenant_id=ms.tenant.id,
        mode=body.mode,
        priority=body.priority,
        currency=body.currency.upper() if body.currency else None,
        min_amount=body.min_amount,
        max_amount=body.max_amount,
        channel=body.channel,
        providers=list(body.providers),
        weights=body.weights,
    )
    return await provider_configs.create_rule(session, rule, actor_id=ms.user_id, ip=ip)


async def remove_routing_rule(
    session: AsyncSession, ms: Membership, rule_id: str, *, ip: str | None
) -> None:
    """Remove one of the tenant's rules; the rule's own mode decides the role (403). 404
    ``routing_rule_not_found``."""
    rule = await provider_configs.get_rule(session, ms.tenant.id, rule_id)
    require_configurer(ms, rule.mode)
    await provider_configs.delete_rule(
        session, tenant_id=ms.tenant.id, rule_id=rule_id, actor_id=ms.user_id, ip=ip
    )


async def _member_of(session: AsyncSession, tenant_id: str, user_id: str) -> TenantMember | None:
    stmt = select(TenantMember).where(
        TenantMember.tenant_id == tenant_id, TenantMember.user_id == user_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def _member(session: AsyncSession, ms: Membership, member_id: str) -> TenantMember:
    require_team_manager(ms)
    stmt = select(TenantMember).where(
        TenantMember.id == member_id, TenantMember.tenant_id == ms.tenant.id
    )
    target = (await session.execute(stmt)).scalar_one_or_none()
    if target is None:
        raise MemberNotFound()
    return target


async def _keep_an_owner(session: AsyncSession, tenant_id: str) -> None:
    owners = await session.execute(
        select(func.count())
        .select_from(TenantMember)
        .where(TenantMember.tenant_id == tenant_id, TenantMember.role == "owner")
    )
    if owners.scalar_one() <= 1:
        raise LastOwner()


async def _audit(
    ms: Membership, session: AsyncSession, action: str, ip: str | None, **details: str
) -> None:
    await audit.record(
        session,
        actor_id=ms.user_id,
        action=action,
        target_type="tenant",
        target_id=ms.tenant.id,
        ip=ip,
        details=details,
    )
