"""API-key use cases: create, list, rotate, revoke (by a member with the role for the key's
mode). Only flush; key changes are audit-logged with the IP. Authenticating a key is the core's
(:mod:`kro.identity.api_keys`): rotating or revoking one forgets it there at once (and again
when that change commits).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.identity import keys
from kro.identity.api_keys import KEYS
from kro.identity.models import ApiKey
from kro.kit.clock import utcnow
from kro.tenants import roles
from kro.tenants.errors import ApiKeyInactive, ApiKeyNotFound, InsufficientRole
from kro.tenants.service import Membership


async def create_key(
    session: AsyncSession, ms: Membership, *, mode: str, name: str | None, ip: str | None
) -> tuple[ApiKey, str]:
    """A new key of ``mode``: the row and the secret (shown once). 403 unless the caller's role
    manages ``mode`` keys (developers: test only)."""
    if not roles.can_manage_keys(ms.role, mode):
        raise InsufficientRole()
    key, secret = await _new_key(session, ms, mode, name)
    await _audit(session, ms, "tenants.api_key_created", key, ip)
    return key, secret


async def list_keys(
    session: AsyncSession, ms: Membership, *, mode: str | None = None
) -> list[ApiKey]:
    """The tenant's keys the caller's role sees (developers: test keys), newest first; only
    ``mode``'s when given (the dashboard shows one mode at a time)."""
    modes = roles.visible_key_modes(ms.role)
    if mode is not None:
        modes = modes & {mode}
    stmt = (
        select(ApiKey)
        .where(ApiKey.tenant_id == ms.tenant.id, ApiKey.mode.in_(sorted(modes)))
        .order_by(ApiKey.id.desc())
    )
    return list((await session.execute(stmt)).scalars())


async def rotate_key(
    session: AsyncSession, ms: Membership, key_id: str, *, grace: timedelta, ip: str | None
) -> tuple[ApiKey, str]:
    """Replace an active key by a new one of the same mode; the old one keeps working for
    ``grace`` (``KRO_API_KEY_ROTATION_GRACE``). 404, 403, 409 ``api_key_inactive``."""
    old = await _active_key(session, ms, key_id)
    new, secret = await _new_key(session, ms, old.mode, old.name)
    old.expires_at, old.replaced_by = utcnow() + grace, new.id
    await session.flush()
    KEYS.forget(old.digest, session)  # its grace period starts now, here and in the cache
    await _audit(session, ms, "tenants.api_key_rotated", old, ip, replaced_by=new.id)
    return new, secret


async def revoke_key(
    session: AsyncSession, ms: Membership, key_id: str, *, ip: str | None
) -> ApiKey:
    """Revoke a key at once (a rotated key in its grace period too). 404, 403, 409."""
    key = await _visible_key(session, ms, key_id, lock=True)
    if key.revoked_at is not None:
        raise ApiKeyInactive()
    key.revoked_at = utcnow()
    await session.flush()
    KEYS.forget(key.digest, session)  # refused at once by this process
    await _audit(session, ms, "tenants.api_key_revoked", key, ip)
    return key


async def _new_key(
    session: AsyncSession, ms: Membership, mode: str, name: str | None
) -> tuple[ApiKey, str]:
    new = keys.generate(mode)
    key = ApiKey(
        tenant_id=ms.tenant.id,
        mode=mode,
        name=name,
        prefix=new.prefix,
        digest=new.digest,
        created_by=ms.user_id,
    )
    session.add(key)
    await session.flush()
    return key, new.secret


async def _visible_key(
    session: AsyncSession, ms: Membership, key_id: str, *, lock: bool = False
) -> ApiKey:
    """A key of the caller's tenant that the caller may manage: 404 if it is not the tenant's
    (or its mode is hidden from the caller's role), 403 if the caller only reads it."""
    stmt = select(ApiKey).where(ApiKey.id == key_id, ApiKey.tenant_id == ms.tenant.id)
    if lock:
        stmt = stmt.with_for_update()
    key = (await session.execute(stmt)).scalar_one_or_none()
    if key is None or key.mode not in roles.visible_key_modes(ms.role):
        raise ApiKeyNotFound()
    if not roles.can_manage_keys(ms.role, key.mode):
        raise InsufficientRole()
    return key


async def _active_key(session: AsyncSession, ms: Membership, key_id: str) -> ApiKey:
    key = await _visible_key(session, ms, key_id, lock=True)
    if key.revoked_at is not None or key.replaced_by is not None:
        raise ApiKeyInactive()
    return key


async def _audit(
    session: AsyncSession,
    ms: Membership,
    action: str,
    key: ApiKey,
    ip: str | None,
    **extra: str,
) -> None:
    await audit.record(
        session,
        actor_id=ms.user_id,
        action=action,
        target_type="tenant",  # the tenant's audit log lists key changes (seed 003 §7.4)
        target_id=ms.tenant.id,
        ip=ip,
        details={"api_key_id": key.id, "mode": key.mode, "prefix": key.prefix, **extra},
    )
