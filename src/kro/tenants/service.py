"""Tenant and team use cases. Services take the session and only flush (the caller commits).

Every function that touches a tenant takes the caller's :class:`Membership`, obtained from
:func:`membership` (404 for a tenant the caller is not a member of), so no query escapes the
caller's tenants. Team changes are audit-logged with the caller's IP (seed 003 s.7.4).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.identity import service as identity
from kro.identity.models import User
from kro.kit.clock import utcnow
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


async def my_invitations(session: AsyncSession, user: User) -> list[TenantInvitation]:
    """Pending invitations addressed to the caller's email."""
    rows = await session.execute(
        select(TenantInvitation)
        .where(TenantInvitation.email == user.email, TenantInvitation.status == "pending")
        .order_by(TenantInvitation.id)
    )
    return list(rows.scalars())


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
