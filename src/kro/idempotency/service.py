"""Claim, complete and release idempotency keys.

Unlike other services, :func:`claim`, :func:`complete` and :func:`release` own their short
transactions (they take the session factory): the lock row must be committed, and so visible
to every other server process, *before* the request's own transaction starts, and the response
is stored after that transaction committed. On PostgreSQL the claim is one
``INSERT … ON CONFLICT (scope, key) DO NOTHING``: of two concurrent twins, in any processes,
exactly one inserts; the other waits for that insert to commit and then finds the row.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from kro.idempotency.models import IdempotencyKey
from kro.kit.db import unit_of_work
from kro.kit.idempotency import StoredAttempt, Verdict, judge
from kro.kit.ids import new_id

log = structlog.get_logger("kro.idempotency")
_CLAIM_TRIES = 3


@dataclass(frozen=True, slots=True)
class Claim:
    """This request holds the key: it runs, then completes or releases the claim."""

    id: str
    lock_token: str


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first request's response, to replay byte for byte."""

    status: int
    content_type: str | None
    body: bytes


@dataclass(frozen=True, slots=True)
class Policy:
    """``ttl``: how long a response is kept (24 h); ``lock_timeout``: after how long a
    ``running`` attempt counts as abandoned (its process died)."""

    ttl: timedelta
    lock_timeout: timedelta


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    *,
    scope: str,
    key: str,
    fingerprint: str,
    now: datetime,
    policy: Policy,
) -> Claim | StoredResponse:
    """Take the key for this request, or return the stored response to replay.

    Raises IdempotencyKeyReused (422) for other parameters under the key and
    IdempotencyKeyInUse (409) while the first request runs.
    """
    for _ in range(_CLAIM_TRIES):
        fresh = Claim(new_id("idk"), secrets.token_hex(16))
        async with unit_of_work(sessions) as session:
            if await _insert(session, fresh, scope, key, fingerprint, now, policy):
                return fresh
            row = (
                await session.execute(
                    select(IdempotencyKey).where(
                        IdempotencyKey.scope == scope, IdempotencyKey.key == key
                    )
                )
            ).scalar_one_or_none()
            if row is None:  # released (or purged) since our insert met it: try again
                continue
            stored = StoredAttempt(row.fingerprint, row.status, row.locked_at, row.expires_at)
            verdict = judge(stored, fingerprint, now=now, lock_timeout=policy.lock_timeout)
            if verdict is Verdict.REUSED:
                raise IdempotencyKeyReused()
            if verdict is Verdict.IN_USE:
                raise IdempotencyKeyInUse()
            if verdict is Verdict.REPLAY:
                assert row.response_status is not None and row.response_body is not None
                return StoredResponse(
                    row.response_status, row.response_content_type, row.response_body
                )
            if await _take_over(session, row, fingerprint, fresh.lock_token, now, policy):
                return Claim(row.id, fresh.lock_token)
    raise IdempotencyKeyInUse()


async def _insert(
    session: AsyncSession,
    fresh: Claim,
    scope: str,
    key: str,
    fingerprint: str,
    now: datetime,
    policy: Policy,
) -> bool:
    """Insert the lock row unless (scope, key) exists; True if this request inserted it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(IdempotencyKey)
        .values(
            id=fresh.id,
            scope=scope,
            key=key,
            fingerprint=fingerprint,
            status="running",
            lock_token=fresh.lock_token,
            locked_at=now,
            created_at=now,
            expires_at=now + policy.ttl,
        )
        .on_conflict_do_nothing(index_elements=["scope", "key"])
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0) == 1)


async def _take_over(
    session: AsyncSession,
    row: IdempotencyKey,
    fingerprint: str,
    token: str,
    now: datetime,
    policy: Policy,
) -> bool:
    """Restart an expired or abandoned record for this request, unless another request took
    it first (the update is conditional on the lock token we read)."""
    result = await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == row.id, IdempotencyKey.lock_token == row.lock_token)
        .values(
            fingerprint=fingerprint,
            status="running",
            lock_token=token,
            locked_at=now,
            created_at=now,
            expires_at=now + policy.ttl,
            response_status=None,
            response_content_type=None,
            response_body=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def complete(
    sessions: async_sessionmaker[AsyncSession], held: Claim, response: StoredResponse
) -> None:
    """Store the response of the request holding ``held``: later twins replay it."""
    async with unit_of_work(sessions) as session:
        result = await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == held.id, IdempotencyKey.lock_token == held.lock_token)
            .values(
                status="done",
                response_status=response.status,
                response_content_type=response.content_type,
                response_body=response.body,
            )
            .execution_options(synchronize_session=False)
        )
    if getattr(result, "rowcount", 0) != 1:
        log.warning("idempotency_lock_lost", idempotency_key_id=held.id)


async def release(sessions: async_sessionmaker[AsyncSession], held: Claim) -> None:
    """Forget the key (the request failed before anything committed): a retry runs afresh."""
    async with unit_of_work(sessions) as session:
        await session.execute(
            delete(IdempotencyKey)
            .where(IdempotencyKey.id == held.id, IdempotencyKey.lock_token == held.lock_token)
            .execution_options(synchronize_session=False)
        )


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Delete records past ``expires_at``; returns how many."""
    result = await session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
