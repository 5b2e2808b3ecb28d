"""Authenticating a tenant's secret API key (``Authorization: Bearer sk_test_…|sk_live_…``):
the core's, so that the merchant API lives beside its logic in ``kro.payments`` (DESIGN.md §3).
Issuing, rotating and revoking keys is ``kro.tenants.api_keys``'s.

Authenticated keys are kept in process for :data:`KEY_CACHE_TTL` seconds (:data:`KEYS`, keyed
by the key's SHA-256 digest), so a request with a known key reads nothing: rotating or
revoking a key forgets it here at once (and again when that change commits).
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity import keys
from kro.identity.errors import InvalidApiKey
from kro.identity.models import ApiKey
from kro.kit.cache import ReadCache

# last_used_at is a hint, not a log: write it at most this often per key.
LAST_USED_RESOLUTION = timedelta(seconds=60)


KEY_CACHE_TTL = 5.0
"""Seconds an authenticated key is kept in process. A key revoked or rotated
through *another* server process still authenticates in this one for at most this long; in the
process that revoked or rotated it, it is refused at once. A rotated key's grace period
(``expires_at``) is checked on every request, cached or not."""


KEYS: ReadCache[str, ApiKey] = ReadCache("api_keys", ttl=KEY_CACHE_TTL)
"""``digest → key``, detached rows shared by the process's requests (read-only)."""


async def authenticate(session: AsyncSession, secret: str, now: datetime) -> ApiKey:
    """The key of a secret key, from the database; InvalidApiKey (401) if it is malformed,
    unknown, revoked or past its rotation grace. Marks it used (at most once a
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
    if last_used_due(key, now):
        await mark_used(session, key, now)
    return key


def cache_key(secret: str) -> str:
    """The :data:`KEYS` key of a secret key: its SHA-256 digest (hex); InvalidApiKey (401) if
    it is malformed. (A dict look-up by digest leaks nothing usable about the secret.)"""
    if keys.parse(secret) is None:
        raise InvalidApiKey()
    return keys.digest(secret)


def cached_key(digest: str, now: datetime) -> ApiKey | None:
    """The key of ``digest`` if this process authenticated it less than
    :data:`KEY_CACHE_TTL` seconds ago (None: ask :func:`authenticate`); InvalidApiKey (401)
    if its rotation grace has ended since."""
    found = KEYS.peek(digest)
    if found is not None and found.expires_at is not None and found.expires_at <= now:
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
