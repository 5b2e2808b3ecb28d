"""The worker: claims due jobs, runs their handlers, records the outcome.

- :class:`Worker` — ``run()`` polls until ``stop()``; ``run_once()`` claims and runs what is
  due once; both run at most ``worker_concurrency`` jobs at a time.
- :func:`drain` — for tests: run until nothing is due.
- :func:`run_worker` — the ``kro worker`` process (also ``python -m kro.jobs``).
- :func:`in_process_worker` — the worker inside ``kro serve`` (the embedded default).

Delivery is at least once; database effects are exactly once. A handler's writes go through
``ctx.session``, whose transaction also marks the job ``done`` (guarded by the lease), so a
crash before the commit leaves neither the effects nor the completion, and the job runs again
once its lease (``job_lease_seconds``) expires. Effects outside the database (a provider call)
may repeat: handlers pass the provider an idempotency reference. A handler runs at most
90 % of ``job_lease_seconds``, so a live worker never overruns its own lease.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta

import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from kro.jobs import queue, scheduler
from kro.jobs.errors import PermanentJobError, RetryJob
from kro.jobs.queue import ClaimedJob
from kro.jobs.registry import JobContext, extra_modules, get_handler, handler_names, load_handlers
from kro.kit import http
from kro.kit.clock import utcnow
from kro.kit.db import READ_ONLY_COMMIT, create_engine, session_factory, unit_of_work
from kro.kit.ids import new_id
from kro.kit.logging import configure_logging
from kro.settings import Settings

log = structlog.get_logger("kro.jobs")

JOBS_FINISHED = Counter(
    "kro_jobs_finished_total",
    "Job attempts by outcome (done, retry, dead, lost, released).",
    ["name", "outcome"],
)
JOB_DURATION = Histogram("kro_job_duration_seconds", "Handler run time per attempt.", ["name"])


_RUNNER_COMMITS = "kro.jobs.runner_commits"


def _refuse_handler_commit(session: Session) -> None:
    """A handler's commit would make its effects durable before the job is done.

    Releasing a SAVEPOINT (``begin_nested``, used by the ledger's atomic batches) also fires
    ``before_commit``; only the outermost commit is refused."""
    if session.in_nested_transaction() or session.info.get(READ_ONLY_COMMIT):
        return  # a savepoint, or a transaction that wrote nothing (kro.kit.db.released)
    if not session.info.get(_RUNNER_COMMITS):
        raise RuntimeError("a job handler must not commit ctx.session; the worker commits it")


def default_worker_id() -> str:
    """``"{host}:{pid}:{random}"``: unique per Worker, readable in ``jobs.locked_by``."""
    return f"{socket.gethostname()}:{os.getpid()}:{new_id('wrk')[-6:]}"


class Worker:
    """Claims and runs jobs from the database behind ``sessions``.

    Loads the handler modules (``HANDLER_MODULES`` plus ``settings.job_extra_modules``) on
    construction, and claims only jobs it has a handler for. When
    ``settings.worker_schedule_periodic`` is on, it also enqueues the periodic jobs of the
    current slot at each poll.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.worker_id = worker_id or default_worker_id()
        load_handlers(extra_modules(settings))
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[int] | None = None
        self._scheduled_slots: dict[str, int] = {}

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.job_lease_seconds)

    @property
    def handler_timeout(self) -> float:
        """Seconds a handler may run: within the lease, so a live worker keeps its job."""
        return self.settings.job_lease_seconds * 0.9

    # -- driving -------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Schedule periodic jobs, claim what is due (up to ``worker_concurrency``), run it
        concurrently and wait for it. Returns the number of jobs run."""
        await self.schedule_periodic()
        jobs = await self._claim(self.settings.worker_concurrency)
        await asyncio.gather(*(self._execute(job) for job in jobs))
        return len(jobs)

    async def run(self) -> None:
        """Poll every ``worker_poll_interval`` seconds until :meth:`stop`, then wait for the
        jobs in flight. If cancelled instead, cancels them; their jobs go back to the queue."""
        log.info("worker_started", worker_id=self.worker_id, handlers=handler_names())
        failures = 0
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                # Shielded, so that a cancelled run() reaches its jobs at once: on SQLite the
                # claim may be waiting for the write lock that one of those jobs holds.
                poller = asyncio.create_task(self._poll(), name=f"poll:{self.worker_id}")
                self._poller = poller
                try:
                    claimed = await asyncio.shield(poller)
                    failures = 0
                except Exception:
                    failures += 1
                    log.exception("worker_poll_failed", worker_id=self.worker_id)
                    await self._sleep(min(30.0, self.settings.worker_poll_interval * 2**failures))
                    continue
                if claimed and len(self._running) < self.settings.worker_concurrency:
                    continue  # more may be due right now
                await self._sleep(self.settings.worker_poll_interval)
        except asyncio.CancelledError:
            pending = [*self._running, *([self._poller] if self._poller else [])]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            raise
        await asyncio.gather(*self._running, return_exceptions=True)
        log.info("worker_stopped", worker_id=self.worker_id)

    def stop(self) -> None:
        """Stop claiming; :meth:`run` returns once the jobs in flight have finished."""
        if not self._stopping.is_set():
            log.info("worker_stopping", worker_id=self.worker_id, in_flight=len(self._running))
        self._stopping.set()
        self._wake.set()

    async def _poll(self) -> int:
        await self.schedule_periodic()
        free = self.settings.worker_concurrency - len(self._running)
        if free <= 0:
            return 0
        jobs = await self._claim(free)
        for job in jobs:
            task = asyncio.create_task(self._execute(job), name=f"job:{job.id}")
            self._running.add(task)
            task.add_done_callback(self._job_finished)
        return len(jobs)

    def _job_finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        """Sleep until ``seconds`` pass, a job finishes (a slot frees) or stop() is called."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    # -- claiming and scheduling -----------------------------------------------------------

    async def _claim(self, limit: int) -> list[ClaimedJob]:
        async with unit_of_work(self.sessions) as session:
            return await queue.claim_due(
                session,
                names=handler_names(),
                worker_id=self.worker_id,
                limit=limit,
                now=utcnow(),
                lease=self.lease,
                default_max_attempts=self.settings.job_max_attempts,
            )

    async def schedule_periodic(self) -> None:
        """Enqueue each periodic job for the current slot, once per slot per worker (the
        dedupe key makes it once per slot across workers)."""
        if not self.settings.worker_schedule_periodic:
            return
        now = utcnow()
        known = set(handler_names())
        due = [
            job
            for job in scheduler.periodic_jobs()
            if job.name in known and self._scheduled_slots.get(job.name) != job.slot(now)
        ]
        if not due:
            return
        async with unit_of_work(self.sessions) as session:
            for job in due:
                await scheduler.enqueue_slot(session, job, now)
        for job in due:
            self._scheduled_slots[job.name] = job.slot(now)

    # -- running one job -----------------------------------------------------------------

    async def _execute(self, job: ClaimedJob) -> None:
        """Run one claimed job and record its outcome. Never raises, except CancelledError."""
        with structlog.contextvars.bound_contextvars(
            job_id=job.id, job_name=job.name, attempt=job.attempt, worker_id=self.worker_id
        ):
            started = time.perf_counter()
            try:
                completed = await self._run_handler(job)
            except asyncio.CancelledError:
                await self._release(job)
                raise
            except Exception as exc:
                await self._record_failure(job, exc, time.perf_counter() - started)
                return
            duration = time.perf_counter() - started
            JOB_DURATION.labels(job.name).observe(duration)
            if completed:
                JOBS_FINISHED.labels(job.name, "done").inc()
                log.info("job_done", duration_ms=round(duration * 1000, 1))
            else:
                JOBS_FINISHED.labels(job.name, "lost").inc()
                log.warning("job_lease_lost", duration_ms=round(duration * 1000, 1))

    async def _run_handler(self, job: ClaimedJob) -> bool:
        """Run the handler and complete the job in one transaction; False if the lease was
        lost (the handler's effects are then rolled back)."""
        handler = get_handler(job.name)
        if handler is None:
            raise LookupError(f"no handler registered for job {job.name!r}")
        async with asyncio.timeout(self.handler_timeout), self.sessions() as session:
            ctx = JobContext(
                session=session,
                sessions=self.sessions,
                job_id=job.id,
                name=job.name,
                attempt=job.attempt,
                max_attempts=job.max_attempts,
                settings=self.settings,
                worker_id=self.worker_id,
            )
            event.listen(session.sync_session, "before_commit", _refuse_handler_commit)
            await handler(ctx, dict(job.payload))
            if not await queue.complete(session, job, worker_id=self.worker_id, now=utcnow()):
                await session.rollback()
                return False
            session.info[_RUNNER_COMMITS] = True
            await session.commit()
            return True

    def _retry_at(self, job: ClaimedJob, exc: Exception, now: datetime) -> datetime | None:
        """When to try again after ``exc``, or None for dead-letter."""
        if isinstance(exc, PermanentJobError) or job.attempt >= job.max_attempts:
            return None
        if isinstance(exc, RetryJob):
            return now + exc.delay
        return now + queue.backoff_delay(
            job.attempt, base=self.settings.job_backoff_base, cap=self.settings.job_backoff_max
        )

    async def _record_failure(self, job: ClaimedJob, exc: Exception, duration: float) -> None:
        now = utcnow()
        retry_at = self._retry_at(job, exc, now)
        error = exc.reason if isinstance(exc, RetryJob) else queue.format_error(exc)
        try:
            async with unit_of_work(self.sessions) as session:
                held = await queue.fail(
                    session, job, worker_id=self.worker_id, now=now, error=error, retry_at=retry_at
                )
        except Exception:
            # The lease will expire and another attempt will follow.
            log.exception("job_failure_not_recorded")
            return
        JOB_DURATION.labels(job.name).observe(duration)
        outcome = "lost" if not held else ("dead" if retry_at is None else "retry")
        JOBS_FINISHED.labels(job.name, outcome).inc()
        fields = {
            "duration_ms": round(duration * 1000, 1),
            "error": f"{type(exc).__name__}: {exc}"[:500],
        }
        if outcome == "dead":
            log.error("job_dead", **fields)
        elif outcome == "retry":
            assert retry_at is not None
            log.warning("job_retry", retry_at=retry_at.isoformat(), **fields)
        else:
            log.warning("job_lease_lost", **fields)

    async def _release(self, job: ClaimedJob) -> None:
        try:
            async with unit_of_work(self.sessions) as session:
                await queue.release(session, job, worker_id=self.worker_id, now=utcnow())
            JOBS_FINISHED.labels(job.name, "released").inc()
            log.info("job_released")
        except Exception:
            log.exception("job_release_failed")


async def drain(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    max_rounds: int = 50,
    periodic: bool = False,
    worker_id: str | None = None,
) -> int:
    """Run :meth:`Worker.run_once` until no job is due (tests). Returns how many jobs ran.

    Jobs scheduled in the future (retries, ``run_at``) are not waited for: move
    ``kro.kit.clock`` forward and drain again. Periodic jobs are enqueued only with
    ``periodic=True``, so a test counts just the jobs it caused. Raises ``RuntimeError`` if
    jobs are still due after ``max_rounds`` rounds (a job that keeps enqueueing itself).
    """
    settings = settings.model_copy(update={"worker_schedule_periodic": periodic})
    worker = Worker(sessions, settings, worker_id=worker_id)
    total = 0
    for _ in range(max_rounds):
        ran = await worker.run_once()
        total += ran
        if ran == 0:
            return total
    raise RuntimeError(f"jobs still due after {max_rounds} rounds ({total} run)")


async def run_worker(settings: Settings, *, handler_modules: Sequence[str] = ()) -> None:
    """The ``kro worker`` process: run a :class:`Worker` until SIGTERM or SIGINT, then finish
    the jobs in flight and exit.

    ``handler_modules`` are imported first, besides ``HANDLER_MODULES`` and
    ``settings.job_extra_modules``: the CLI passes the platform's list of ``tasks`` modules
    (which ``kro.jobs``, a core module, may not name)::

        http.run(run_worker(settings, handler_modules=kro.registry.TASK_MODULES))
    """
    configure_logging(json=settings.log_json, level=settings.log_level)
    load_handlers(handler_modules)
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    try:
        worker = Worker(session_factory(engine), settings)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        await worker.run()
    finally:
        await engine.dispose()


@asynccontextmanager
async def in_process_worker(
    sessions_or_state: async_sessionmaker[AsyncSession] | object,
    settings: Settings,
    *,
    worker_id: str | None = None,
) -> AsyncIterator[Worker | None]:
    """Run a :class:`Worker` as a background task for the duration of the block (the worker
    inside ``kro serve``); yields it, or ``None`` when ``settings.worker_in_process`` is off.

    ``sessions_or_state`` is a session factory or an object with a ``sessions`` attribute
    (``app.state``). On exit the worker stops claiming and gets
    ``worker_shutdown_timeout`` seconds to finish its jobs; jobs still running then are
    cancelled and put back in the queue.
    """
    if not settings.worker_in_process:
        yield None
        return
    sessions = _session_factory_of(sessions_or_state)
    worker = Worker(sessions, settings, worker_id=worker_id)
    task = asyncio.create_task(worker.run(), name=f"kro-worker:{worker.worker_id}")
    task.add_done_callback(_log_crash)
    try:
        yield worker
    finally:
        worker.stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), settings.worker_shutdown_timeout)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        except Exception:
            log.debug("worker_task_failed")  # the traceback was logged by _log_crash


def _session_factory_of(source: object) -> async_sessionmaker[AsyncSession]:
    if isinstance(source, async_sessionmaker):
        return source
    sessions = getattr(source, "sessions", None)
    if not isinstance(sessions, async_sessionmaker):
        raise TypeError("expected a session factory or an object with a .sessions factory")
    return sessions


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("worker_crashed", exc_info=task.exception())


def main() -> None:
    """``python -m kro.jobs``: a worker configured from ``KRO_*`` that runs only the handlers
    of ``HANDLER_MODULES`` and ``KRO_JOB_EXTRA_MODULES`` (tests); production runs
    ``kro worker``, which loads every module's tasks."""
    from kro.settings import get_settings

    http.run(run_worker(get_settings()))
