"""Periodic jobs: run a handler once per time slot, however many workers there are.

::

    @periodic("ledger.expire_pending", every=timedelta(minutes=1))
    async def expire_pending(ctx: JobContext, payload: dict[str, Any]) -> None: ...

Time is cut into slots of ``every`` counted from the Unix epoch (``every=1h`` runs on the
hour). Each worker, at each poll, enqueues the job of the current slot with
``dedupe_key = "{name}:{slot}"``; the unique key makes every enqueue after the first a no-op,
so N workers produce one job per slot. The job's payload is
``{"slot": <int>, "scheduled_for": "<ISO 8601 UTC start of the slot>"}``. Slots missed while no
worker ran are not made up: only the current slot is enqueued.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kro.jobs.models import Job
from kro.jobs.registry import Handler, check_job_name, job_handler
from kro.jobs.service import enqueue

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """A schedule: enqueue job ``name`` once every ``every`` (at least one second)."""

    name: str
    every: timedelta
    max_attempts: int | None = None

    def slot(self, now: datetime) -> int:
        """The number of the slot containing ``now``."""
        return (now - _EPOCH) // self.every

    def slot_start(self, slot: int) -> datetime:
        return _EPOCH + slot * self.every

    def dedupe_key(self, slot: int) -> str:
        return f"{self.name}:{slot}"


_PERIODIC: dict[str, PeriodicJob] = {}


def schedule(name: str, every: timedelta, *, max_attempts: int | None = None) -> PeriodicJob:
    """Run the (separately registered) handler ``name`` once per ``every``."""
    check_job_name(name)
    if every < timedelta(seconds=1):
        raise ValueError("a periodic job runs at most once a second")
    job = PeriodicJob(name=name, every=every, max_attempts=max_attempts)
    existing = _PERIODIC.get(name)
    if existing is not None and existing != job:
        raise ValueError(f"periodic job {name!r} is already scheduled as {existing}")
    _PERIODIC[name] = job
    return job


def periodic(
    name: str, *, every: timedelta, max_attempts: int | None = None
) -> Callable[[Handler], Handler]:
    """Register the decorated handler as ``name`` and schedule it once per ``every``."""

    def decorator(func: Handler) -> Handler:
        job_handler(name)(func)
        schedule(name, every, max_attempts=max_attempts)
        return func

    return decorator


def unschedule(name: str) -> None:
    """Remove the schedule of ``name`` (tests)."""
    _PERIODIC.pop(name, None)


def periodic_jobs() -> list[PeriodicJob]:
    """Every schedule, by name."""
    return [_PERIODIC[name] for name in sorted(_PERIODIC)]


async def enqueue_slot(session: AsyncSession, job: PeriodicJob, now: datetime) -> Job:
    """Enqueue ``job`` for the slot containing ``now`` (a no-op if already enqueued)."""
    slot = job.slot(now)
    start = job.slot_start(slot)
    payload = {"slot": slot, "scheduled_for": start.isoformat().replace("+00:00", "Z")}
    return await enqueue(
        session,
        job.name,
        payload,
        run_at=start,
        dedupe_key=job.dedupe_key(slot),
        max_attempts=job.max_attempts,
    )
