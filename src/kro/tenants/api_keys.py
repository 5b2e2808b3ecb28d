"""API-key use cases: create, list, rotate, revoke (by a member with the role for the key's
mode), and authenticate a secret key. Only flush; key changes are audit-logged with the IP.

Authenticated keys are kept in process for :data:`KEY_CACHE_TTL` seconds (:data:`KEYS`, keyed
by the key's SHA-256 digest), so a request with a known key reads nothing: rotating or
revoking a key forgets it here at once (and again when that change commits).
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.kit.cache import ReadCache
from kro.kit.clock import utcnow
from kro.tenants import keys, roles
from kro.tenants.errors import ApiKeyInactive, ApiKeyNotFound, InsufficientRole, InvalidApiKey
from kro.tenants.models import ApiKey, Tenant
from kro.tenants.service import Membership

# last_used_at is a hint, not a log: write it at most this often per key.
LAST_USED_RESOLUTION = timedelta(seconds=60)

KEY_CACHE_TTL = 5.0
"""Seconds an authenticated key (with its tenant) is kept in process. A key revoked or rotated
through *another* server process still authenticates in this one for at most this long; in the
process that revoked or rotated it, it is refused at once. A rotated key's grace period
(``expires_at``) is checked on every request, cached or not."""

KEYS: ReadCache[str, tuple[ApiKey, Tenant]] = ReadCache("api_keys", ttl=KEY_CACHE_TTL)
"""``digest → (key, tenant)``, detached rows shared by the process's requests (read-only)."""


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


async def list_keys(session: AsyncSession, ms: Membership) -> list[ApiKey]:
    """The tenant's keys the caller's role sees (developers: test keys), newest first."""
    stmt = (
        select(ApiKey)
        .where(
            ApiKey.tenant_id == ms.tenant.id,
            ApiKey.mode.in_(sorted(roles.visible_key_modes(ms.role))),
        )
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


async def authenticate(session: AsyncSession, secret: str, now: datetime) -> tuple[ApiKey, Tenant]:
    """The key and its tenant for a secret key, from the database; InvalidApiKey (401) if it
    is malformed, unknown, revoked or past its rotation grace. Marks it used (at most once a
    minute). :func:`cached_key` first spares most requests this read."""
    parsed = keys.parse(secret)
    if parsed is None:
        raise InvalidApiKey()
    _, prefix = parsed
    digest = keys.digest(secret)
    candidates = await session.execute(
        select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
    )
    key = next((k for k in candidates.scalars() if hmac.compare_digest(k.digest, digest)), None)
    if key is None or (key.expires_at is not None and key.expires_at <= now):
        raise InvalidApiKey()
    tenant = await session.get(Tenant, key.tenant_id)
    if tenant is None:
        raise InvalidApiKey()
    if last_used_due(key, now):
        await mark_used(session, key, now)
    return key, tenant


def cache_key(secret: str) -> str:
    """The :data:`KEYS` key of a secret key: its SHA-256 digest (hex); InvalidApiKey (401) if
    it is malformed. (A dict look-up by digest leaks nothing usable about the secret.)"""
    if keys.parse(secret) is None:
        raise InvalidApiKey()
    return keys.digest(secret)


def cached_key(digest: str, now: datetime) -> tuple[ApiKey, Tenant] | None:
    """The key and tenant of ``digest`` if this process authenticated it less than
    :data:`KEY_CACHE_TTL` seconds ago (None: ask :func:`authenticate`); InvalidApiKey (401)
    if its rotation grace has ended since."""
    found = KEYS.peek(digest)
    if found is not None and found[0].expires_at is not None and found[0].expires_at <= now:
        KEYS.forget(digest)
        raise InvalidApiKey()
    return found


def last_used_due(key: ApiKey, now: datetime) -> bool:
    """Whether ``last_used_at`` is due a write (:data:`LAST_USED_RESOLUTION`)."""
    return key.last_used_at is None or key.last_used_at <= now - LAST_USED_RESOLUTION


async def mark_used(session: AsyncSession, key: ApiKey, now: datetime) -> None:
    """Set ``last_used_at`` to ``now`` unless another request (or process) did within the
    resolution; ``key`` (possibly the cached row) follows."""
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key.id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    key.last_used_at = now


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
