"""The worker's side of the outbox: claim due jobs under a lease, complete, fail, release.

Every write here is *guarded*: it names the state it expects (``status``, ``attempts`` and,
after the claim, ``locked_by``) in its ``WHERE`` clause and reports whether a row matched. So a
worker whose lease was taken over by another (it hung, or its clock ran past the lease) can
neither complete nor fail the job a second time.

Claiming (:func:`claim_due`) runs in its own short transaction:

- PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` picks rows no other worker is claiming,
  then a guarded ``UPDATE`` per row sets ``running``, ``attempts + 1`` and the lease.
- SQLite: the same statements; ``FOR UPDATE`` is not rendered, and the transaction's
  ``BEGIN IMMEDIATE`` (``kro.kit.db``) makes the claim the only writer, while the guarded
  (conditional) ``UPDATE`` would still refuse a row another writer changed.

Times come from :mod:`kro.kit.clock` (passed in as ``now``), never the database's clock, so
tests move time for leases and backoff alike.
"""

from __future__ import annotations

import random
import traceback
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kro.jobs.models import LAST_ERROR_MAX_CHARS, Job, JobStatus


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job this worker holds the lease of, for attempt number ``attempt`` (1-based)."""

    id: str
    name: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    locked_until: datetime


def _due(now: datetime) -> Any:
    return or_(
        and_(Job.status == JobStatus.QUEUED.value, Job.run_at <= now),
        and_(Job.status == JobStatus.RUNNING.value, Job.locked_until < now),
    )


async def claim_due(
    session: AsyncSession,
    *,
    names: Collection[str],
    worker_id: str,
    limit: int,
    now: datetime,
    lease: timedelta,
    default_max_attempts: int,
) -> list[ClaimedJob]:
    """Claim up to ``limit`` due jobs among ``names`` for ``worker_id``, oldest ``run_at`` first.

    Due: ``queued`` with ``run_at <= now``, or ``running`` with an expired lease (its worker
    died). An expired job that had used its last attempt goes to ``dead`` instead. The caller
    commits the transaction; the claimed jobs are then leased until ``now + lease``.
    """
    if not names or limit <= 0:
        return []
    stmt = (
        select(
            Job.id, Job.name, Job.payload, Job.status, Job.attempts, Job.max_attempts, Job.locked_by
        )
        .where(Job.name.in_(sorted(names)), _due(now))
        .order_by(Job.run_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed: list[ClaimedJob] = []
    for row in (await session.execute(stmt)).all():
        max_attempts = row.max_attempts or default_max_attempts
        values: dict[str, Any]
        lost = row.status == JobStatus.RUNNING.value
        lost_note = f"lease expired: worker {row.locked_by} did not finish attempt {row.attempts}"
        if lost and row.attempts >= max_attempts:
            values = {
                "status": JobStatus.DEAD.value,
                "finished_at": now,
                "locked_until": None,
                "last_error": lost_note,
            }
            await _guarded(session, row.id, values, status=row.status, attempts=row.attempts)
            continue
        values = {
            "status": JobStatus.RUNNING.value,
            "attempts": row.attempts + 1,
            "locked_by": worker_id,
            "locked_until": now + lease,
        }
        if lost:
            values["last_error"] = lost_note
        if await _guarded(session, row.id, values, status=row.status, attempts=row.attempts):
            claimed.append(
                ClaimedJob(
                    id=row.id,
                    name=row.name,
                    payload=dict(row.payload),
                    attempt=row.attempts + 1,
                    max_attempts=max_attempts,
                    locked_until=now + lease,
                )
            )
    return claimed


async def _guarded(
    session: AsyncSession,
    job_id: str,
    values: dict[str, Any],
    *,
    status: str,
    attempts: int,
    locked_by: str | None = None,
) -> bool:
    """``UPDATE jobs SET … WHERE id AND status AND attempts [AND locked_by]``; True if matched."""
    conditions = [Job.id == job_id, Job.status == status, Job.attempts == attempts]
    if locked_by is not None:
        conditions.append(Job.locked_by == locked_by)
    stmt = (
        update(Job).where(*conditions).values(**values).execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], await session.execute(stmt))
    return int(result.rowcount) == 1


async def complete(
    session: AsyncSession, job: ClaimedJob, *, worker_id: str, now: datetime
) -> bool:
    """Mark ``job`` done in ``session`` (the handler's transaction).

    Returns False if this worker no longer holds the job (its lease was taken over): the
    caller must then roll back the handler's effects, which the other worker produces.
    ``locked_by`` keeps the id of the worker that ran it.
    """
    values = {"status": JobStatus.DONE.value, "finished_at": now, "locked_until": None}
    return await _held(session, job, worker_id, values)


async def fail(
    session: AsyncSession,
    job: ClaimedJob,
    *,
    worker_id: str,
    now: datetime,
    error: str,
    retry_at: datetime | None,
) -> bool:
    """Record a failed attempt: back to ``queued`` at ``retry_at``, or ``dead`` if it is None.

    ``error`` is truncated to ``LAST_ERROR_MAX_CHARS``. False if the lease was lost.
    """
    values: dict[str, Any] = {"locked_until": None, "last_error": truncate_error(error)}
    if retry_at is None:
        values.update(status=JobStatus.DEAD.value, finished_at=now)
    else:
        values.update(status=JobStatus.QUEUED.value, run_at=retry_at)
    return await _held(session, job, worker_id, values)


async def release(session: AsyncSession, job: ClaimedJob, *, worker_id: str, now: datetime) -> bool:
    """Give a job back untried (the worker is shutting down): ``queued``, due now, and the
    attempt it used at claim time returned. False if the lease was lost."""
    values = {
        "status": JobStatus.QUEUED.value,
        "run_at": now,
        "locked_until": None,
        "attempts": job.attempt - 1,
    }
    return await _held(session, job, worker_id, values)


async def _held(
    session: AsyncSession, job: ClaimedJob, worker_id: str, values: dict[str, Any]
) -> bool:
    return await _guarded(
        session,
        job.id,
        values,
        status=JobStatus.RUNNING.value,
        attempts=job.attempt,
        locked_by=worker_id,
    )


def backoff_delay(
    attempt: int, *, base: float, cap: float, rand: Callable[[], float] | None = None
) -> timedelta:
    """Delay before retrying after failed attempt ``attempt`` (1-based): exponential backoff
    with full jitter, uniform in ``[0, min(cap, base * 2 ** (attempt - 1))]`` seconds.

    Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter") spreads the retries
    of jobs that failed together, e.g. when a provider was down.
    """
    exponent = min(max(attempt - 1, 0), 60)
    ceiling = min(cap, base * 2.0**exponent)
    draw = rand() if rand is not None else random.random()  # noqa: S311 - jitter, not secrecy
    return timedelta(seconds=ceiling * draw)


def format_error(exc: BaseException) -> str:
    """``"ExcType: message"`` followed by the traceback, for ``last_error``."""
    head = f"{type(exc).__name__}: {exc}"
    trace = "".join(traceback.format_exception(exc))
    return f"{head}\n\n{trace}"


def truncate_error(text: str, limit: int = LAST_ERROR_MAX_CHARS) -> str:
    """``text`` cut to ``limit`` characters, keeping its head (the message) and its tail (where
    the traceback ends)."""
    if len(text) <= limit:
        return text
    marker = "\n…[truncated]…\n"
    keep = limit - len(marker)
    head = keep // 2
    return text[:head] + marker + text[-(keep - head) :]
