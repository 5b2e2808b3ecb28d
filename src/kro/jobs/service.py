"""Use cases of the outbox: enqueue a job with the caller's transaction; inspect, retry, purge.

Like every service, these only ``flush()``: the caller owns the transaction, so a job commits
exactly when the state change that caused it commits, and vanishes with it on rollback::

    async with unit_of_work(sessions) as session:
        order.status = "released"
        await enqueue(session, "escrow.release_funds", {"order_id": order.id})
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.jobs.errors import JobNotDead, JobNotFound
from kro.jobs.models import Job, JobStatus
from kro.jobs.registry import check_job_name
from kro.kit.clock import utcnow
from kro.kit.db import insert_new
from kro.kit.ids import new_id


async def enqueue(
    session: AsyncSession,
    name: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Write a ``queued`` job in the caller's transaction and return it (flushed, not committed).

    - ``name``: dotted handler name (``"payouts.initiate_transfer"``); ``ValueError`` if bad.
    - ``payload``: a JSON object of ids and plain values; ``TypeError`` if not serialisable
      (pass ``order.id``, never ``order``).
    - ``run_at``: aware datetime before which the job is not run; default now.
    - ``dedupe_key``: if a job with this key exists (in any status, until purged), nothing is
      written and that job is returned. Safe against concurrent enqueues on PostgreSQL
      (``INSERT … ON CONFLICT DO NOTHING``); the other transaction's job wins.
    - ``max_attempts``: default ``None``, i.e. the worker's ``job_max_attempts`` setting.
    """
    check_job_name(name)
    _check_payload(payload)
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("run_at must be timezone-aware")
    if max_attempts is not None and max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    now = utcnow()
    values: dict[str, Any] = {
        "id": new_id("job"),
        "name": name,
        "payload": payload,
        "status": JobStatus.QUEUED.value,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_at": run_at or now,
        "dedupe_key": dedupe_key,
        "created_at": now,
    }
    if dedupe_key is None:
        job = Job(**values)
        session.add(job)
        await session.flush()
        return job
    inserted = await insert_new(session, Job, values, unique=("dedupe_key",))  # flushes first
    if inserted is not None:
        return inserted
    found = await _by_dedupe_key(session, dedupe_key)
    if found is None:  # pragma: no cover - the insert met this very row
        raise RuntimeError(f"job with dedupe key {dedupe_key!r} vanished")
    return found


def _check_payload(payload: dict[str, Any]) -> None:
    if not isinstance(payload, dict):
        raise TypeError("a job payload is a dict of ids and plain values")
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"job payload is not plain JSON (pass ids, not objects): {exc}") from exc


async def _by_dedupe_key(session: AsyncSession, key: str) -> Job | None:
    result = await session.execute(select(Job).where(Job.dedupe_key == key))
    return result.scalar_one_or_none()


async def get_job(session: AsyncSession, job_id: str) -> Job:
    """The job ``job_id``; raises :class:`JobNotFound` (404)."""
    job = await session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise JobNotFound(details={"job_id": job_id})
    return job


async def list_jobs(
    session: AsyncSession,
    *,
    status: JobStatus | str | None = None,
    name: str | None = None,
    before_id: str | None = None,
    limit: int = 50,
) -> list[Job]:
    """Jobs newest first, optionally filtered by ``status`` and ``name``.

    Cursor pagination: pass the last returned id as ``before_id`` for the next page.
    ``limit`` is clamped to 1..500.
    """
    stmt = select(Job).order_by(Job.id.desc()).limit(max(1, min(limit, 500)))
    if status is not None:
        stmt = stmt.where(Job.status == JobStatus(status).value)
    if name is not None:
        stmt = stmt.where(Job.name == name)
    if before_id is not None:
        stmt = stmt.where(Job.id < before_id)
    return list((await session.execute(stmt)).scalars())


async def count_by_status(session: AsyncSession, *, name: str | None = None) -> dict[str, int]:
    """``{"queued": n, "running": n, "done": n, "dead": n}`` (every status present)."""
    stmt = select(Job.status, func.count()).group_by(Job.status)
    if name is not None:
        stmt = stmt.where(Job.name == name)
    counts = {s.value: 0 for s in JobStatus}
    for status, n in (await session.execute(stmt)).all():
        counts[status] = n
    return counts


async def queue_health(session: AsyncSession, now: datetime) -> tuple[int, float]:
    """``(due, oldest_due_age)``: queued jobs whose ``run_at`` has come, and how many seconds
    the oldest of them has waited (0.0 when none) — the worker pool's lag."""
    due, oldest = (
        await session.execute(
            select(func.count(), func.min(Job.run_at)).where(
                Job.status == JobStatus.QUEUED.value, Job.run_at <= now
            )
        )
    ).one()
    if not due or oldest is None:
        return 0, 0.0
    if oldest.tzinfo is None:  # SQLite returns naive UTC from an aggregate
        oldest = oldest.replace(tzinfo=UTC)
    return int(due), max(0.0, (now - oldest).total_seconds())


async def retry_dead(session: AsyncSession, job_id: str) -> Job:
    """Put a dead job back in the queue, due now, with a fresh set of attempts.

    ``last_error`` is kept until the next failure. Raises :class:`JobNotFound` (404) or
    :class:`JobNotDead` (409) if the job is not ``dead``.
    """
    job = await get_job(session, job_id)
    if job.status != JobStatus.DEAD.value:
        raise JobNotDead(details={"job_id": job_id, "status": job.status})
    job.status = JobStatus.QUEUED.value
    job.attempts = 0
    job.run_at = utcnow()
    job.finished_at = None
    job.locked_until = None
    job.locked_by = None
    await session.flush()
    return job


async def purge_finished(session: AsyncSession, *, before: datetime) -> int:
    """Delete ``done`` jobs finished before ``before``; returns how many.

    Dead jobs are kept for an operator. Purging a job frees its ``dedupe_key``.
    """
    stmt = delete(Job).where(Job.status == JobStatus.DONE.value, Job.finished_at < before)
    result = cast(CursorResult[Any], await session.execute(stmt))
    return int(result.rowcount)
