"""Claim, complete and release idempotency keys.

Unlike other services, :func:`claim`, :func:`complete` and :func:`release` own their short
transactions (they take the session factory): the lock row must be committed, and so visible
to every other server process, *before* the request's own transaction starts. The claim is one
``INSERT … ON CONFLICT (scope, key) DO NOTHING``: of two concurrent twins, in any processes,
exactly one inserts; the other waits for that insert to commit and then finds the row.

The response is stored by :func:`complete_in` *in the request's own transaction* when the
request has one (``DbSession``): the payment and the response that reports it commit together,
so a request costs two commits (the claim, then the work) and no retry can find the work done
but the key still ``running``. Errors rendered after the request's transaction ended are
stored by :func:`complete` in a transaction of its own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from kro.idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from kro.idempotency.models import IdempotencyKey
from kro.kit.db import unit_of_work
from kro.kit.deferred import execute_later
from kro.kit.idempotency import StoredAttempt, Verdict, judge
from kro.kit.ids import new_id

log = structlog.get_logger("kro.idempotency")
_CLAIM_TRIES = 3
_TABLE = cast(Table, IdempotencyKey.__table__)


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
        if await _insert(sessions, fresh, scope, key, fingerprint, now, policy):
            return fresh
        async with unit_of_work(sessions) as session:
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


_CLAIM_COLUMNS = ("id", "scope", "key", "fingerprint", "status", "lock_token", "locked_at",
                  "created_at", "expires_at")  # fmt: skip
_CLAIM = {
    name: insert(_TABLE)
    .values({column: bindparam(column) for column in _CLAIM_COLUMNS})
    .on_conflict_do_nothing(index_elements=["scope", "key"])
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}  # built once: compiled once per dialect, then found in SQLAlchemy's cache


async def _insert(
    sessions: async_sessionmaker[AsyncSession],
    fresh: Claim,
    scope: str,
    key: str,
    fingerprint: str,
    now: datetime,
    policy: Policy,
) -> bool:
    """Insert the lock row unless (scope, key) exists, committed; True if this request
    inserted it. On PostgreSQL the statement runs alone in autocommit — one round trip, no
    BEGIN/COMMIT (a single statement is its own transaction); elsewhere, and when the
    factory is bound to something other than an engine (a test's connection), in a
    transaction of its own."""
    values = {
        "id": fresh.id,
        "scope": scope,
        "key": key,
        "fingerprint": fingerprint,
        "status": "running",
        "lock_token": fresh.lock_token,
        "locked_at": now,
        "created_at": now,
        "expires_at": now + policy.ttl,
    }
    bind = sessions.kw.get("bind")
    if isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql":
        async with bind.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            result: Any = await autocommit.execute(_CLAIM["postgresql"], values)
    else:
        async with unit_of_work(sessions) as session:
            dialect = session.get_bind().dialect.name
            result = await session.execute(_CLAIM.get(dialect, _CLAIM["sqlite"]), values)
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


_STORE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("held_id"), _TABLE.c.lock_token == bindparam("held_token"))
    .values(
        status="done",
        response_status=bindparam("stored_status"),
        response_content_type=bindparam("stored_type"),
        response_body=bindparam("stored_body"),
    )
)


async def complete(
    sessions: async_sessionmaker[AsyncSession], held: Claim, response: StoredResponse
) -> None:
    """Store the response of the request holding ``held`` in a transaction of its own: later
    twins replay it."""
    async with unit_of_work(sessions) as session:
        await complete_in(session, held, response)


async def complete_in(session: AsyncSession, held: Claim, response: StoredResponse) -> None:
    """Store the response of the request holding ``held`` in ``session``'s transaction (the
    request's own): it is kept if, and only if, that transaction commits. A deferred write
    (:mod:`kro.kit.deferred`): on PostgreSQL it goes in one statement with the request's own
    deferred writes. A lock taken over meanwhile (the request outran
    ``idempotency_lock_timeout``) stores nothing and is logged."""

    def stored(rows: int) -> None:
        if rows != 1:
            log.warning("idempotency_lock_lost", idempotency_key_id=held.id)

    params = {
        "held_id": held.id,
        "held_token": held.lock_token,
        "stored_status": response.status,
        "stored_type": response.content_type,
        "stored_body": response.body,
    }
    await execute_later(session, _STORE, params, on_rowcount=stored)


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
