"""The worker: run, retry with backoff, dead-letter, leases, graceful stop, in-process."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs import JobContext, JobStatus, enqueue, queue, service
from kro.jobs.worker import Worker, drain, in_process_worker
from kro.kit.clock import clock, utcnow
from kro.kit.db import unit_of_work
from kro.settings import Settings
from tests.jobs import handlers
from tests.jobs.conftest import LEASE_SECONDS, effect_rows, load_job, make_settings, wait_until


async def _enqueue(
    sessions: async_sessionmaker[AsyncSession],
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    max_attempts: int | None = None,
) -> str:
    async with unit_of_work(sessions) as s:
        job = await enqueue(s, "tests.effect", payload, run_at=run_at, max_attempts=max_attempts)
        return job.id


async def test_a_job_runs_once_and_its_effect_commits_with_completion(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    job_id = await _enqueue(sessions, {"key": "k1"})
    assert await drain(sessions, settings, worker_id="w1") == 1
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts, job.locked_by) == ("done", 1, "w1")
    assert job.finished_at is not None and job.locked_until is None
    assert [(r.key, r.attempt) for r in await effect_rows(sessions)] == [("k1", 1)]
    assert await drain(sessions, settings) == 0


async def test_a_future_job_waits_for_its_time(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    job_id = await _enqueue(sessions, {"key": "k1"}, run_at=utcnow() + timedelta(minutes=10))
    assert await drain(sessions, settings) == 0
    clock.advance(timedelta(minutes=10))
    assert await drain(sessions, settings) == 1
    assert (await load_job(sessions, job_id)).status == "done"


async def test_failures_retry_with_backoff_and_roll_back_the_attempts_effects(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(random, "random", lambda: 0.5)  # jitter mid-way: 5 s, then 10 s
    job_id = await _enqueue(sessions, {"key": "k", "per_attempt": True, "fail_attempts": [1, 2]})
    worker = Worker(sessions, settings)

    before = utcnow()
    assert await worker.run_once() == 1
    after = utcnow()
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts, job.locked_until) == ("queued", 1, None)
    assert job.last_error is not None and "RuntimeError: boom on attempt 1" in job.last_error
    assert before + timedelta(seconds=5) <= job.run_at <= after + timedelta(seconds=5)
    assert await worker.run_once() == 0  # not due yet

    clock.advance(timedelta(seconds=6))
    before = utcnow()
    assert await worker.run_once() == 1
    after = utcnow()
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts) == ("queued", 2)
    assert before + timedelta(seconds=10) <= job.run_at <= after + timedelta(seconds=10)

    clock.advance(timedelta(seconds=11))
    assert await worker.run_once() == 1
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts) == ("done", 3)
    assert [r.key for r in await effect_rows(sessions)] == ["k:3"]  # failed attempts left none


async def test_dead_letter_after_max_attempts_then_operator_retry(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    job_id = await _enqueue(sessions, {"key": "k", "fail_always": True}, max_attempts=2)
    worker = Worker(sessions, settings)
    assert await worker.run_once() == 1
    clock.advance(timedelta(seconds=settings.job_backoff_max))
    assert await worker.run_once() == 1
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts) == ("dead", 2)
    assert job.finished_at is not None
    assert job.last_error is not None and "boom on attempt 2" in job.last_error
    clock.advance(timedelta(days=1))
    assert await worker.run_once() == 0  # dead stays dead

    async with unit_of_work(sessions) as s:
        await service.retry_dead(s, job_id)
    assert await worker.run_once() == 1
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts) == ("queued", 1)
    assert await effect_rows(sessions) == []


async def test_default_max_attempts_comes_from_settings(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    settings = make_settings(db_url, job_max_attempts=1)
    job_id = await _enqueue(sessions, {"key": "k", "fail_always": True})
    assert await drain(sessions, settings) == 1
    assert (await load_job(sessions, job_id)).status == "dead"


async def test_permanent_error_goes_straight_to_dead(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    job_id = await _enqueue(sessions, {"key": "k", "permanent": True}, max_attempts=5)
    assert await drain(sessions, settings) == 1
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts) == ("dead", 1)
    assert job.last_error is not None
    assert job.last_error.startswith("PermanentJobError: this can never work")
    assert await effect_rows(sessions) == []


async def test_retry_job_reschedules_after_the_requested_delay(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    job_id = await _enqueue(sessions, {"key": "k", "retry_in": 300})
    before = utcnow()
    assert await drain(sessions, settings) == 1
    after = utcnow()
    job = await load_job(sessions, job_id)
    assert (job.status, job.last_error) == ("queued", "provider says processing")
    assert before + timedelta(seconds=300) <= job.run_at <= after + timedelta(seconds=300)


async def test_a_handler_may_not_commit_the_jobs_transaction(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async def commit(ctx: JobContext) -> None:
        await ctx.session.commit()

    handlers.HOOKS["commit"] = commit
    job_id = await _enqueue(sessions, {"key": "k", "hook": "commit"})
    assert await drain(sessions, settings) == 1
    job = await load_job(sessions, job_id)
    assert job.status == "queued"
    assert job.last_error is not None and "must not commit ctx.session" in job.last_error


async def test_a_handler_may_use_savepoints(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async def savepoint(ctx: JobContext) -> None:
        async with ctx.session.begin_nested():
            await ctx.session.execute(
                insert(handlers.effects).values(key="nested", job_id="-", attempt=0, worker_id="-")
            )

    handlers.HOOKS["savepoint"] = savepoint
    job_id = await _enqueue(sessions, {"key": "k", "hook": "savepoint"})
    assert await drain(sessions, settings) == 1
    assert (await load_job(sessions, job_id)).status == "done"
    assert [r.key for r in await effect_rows(sessions)] == ["k", "nested"]


async def test_a_job_nobody_handles_stays_queued(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with unit_of_work(sessions) as s:
        job = await enqueue(s, "tests.nobody_handles_this", {})
    assert await drain(sessions, settings) == 0
    assert (await load_job(sessions, job.id)).status == "queued"


async def _claim_as_dead_worker(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Claim every due job for a worker that then vanishes without a trace."""
    async with unit_of_work(sessions) as s:
        await queue.claim_due(
            s,
            names=["tests.effect"],
            worker_id="ghost",
            limit=10,
            now=utcnow(),
            lease=timedelta(seconds=LEASE_SECONDS),
            default_max_attempts=3,
        )


async def test_an_expired_lease_is_claimed_again(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    job_id = await _enqueue(sessions, {"key": "k"})
    await _claim_as_dead_worker(sessions)
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts, job.locked_by) == ("running", 1, "ghost")

    assert await drain(sessions, settings) == 0  # the lease still holds
    clock.advance(timedelta(seconds=LEASE_SECONDS + 1))
    assert await drain(sessions, settings, worker_id="w2") == 1
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts, job.locked_by) == ("done", 2, "w2")
    assert job.last_error == "lease expired: worker ghost did not finish attempt 1"


async def test_an_expired_lease_on_the_last_attempt_is_dead(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    job_id = await _enqueue(sessions, {"key": "k"}, max_attempts=1)
    await _claim_as_dead_worker(sessions)
    clock.advance(timedelta(seconds=LEASE_SECONDS + 1))
    assert await drain(sessions, settings) == 0
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts) == ("dead", 1)
    assert job.last_error is not None and job.last_error.startswith("lease expired")


async def test_a_worker_that_lost_its_lease_does_not_complete_the_job(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """Worker A stalls past its lease; B takes the job over and completes it; A's late
    completion is refused and its effects roll back: the effect exists once, B's."""
    a = Worker(sessions, settings, worker_id="a")
    b = Worker(sessions, settings, worker_id="b")

    async def stall(ctx: JobContext) -> None:
        if ctx.worker_id == "a":
            clock.advance(timedelta(seconds=LEASE_SECONDS + 1))
            assert await b.run_once() == 1

    handlers.HOOKS["stall"] = stall
    job_id = await _enqueue(sessions, {"key": "k", "per_attempt": True, "hook": "stall"})
    assert await a.run_once() == 1
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts, job.locked_by) == ("done", 2, "b")
    assert [(r.key, r.worker_id) for r in await effect_rows(sessions)] == [("k:2", "b")]
    assert [(c.worker_id, c.attempt) for c in handlers.CALLS] == [("a", 1), ("b", 2)]


async def test_stop_lets_the_job_in_flight_finish(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    job_id = await _enqueue(sessions, {"key": "k", "marker": str(marker), "sleep": 0.3})
    worker = Worker(sessions, settings)
    run = asyncio.create_task(worker.run())
    await wait_until(marker.exists)
    worker.stop()
    await asyncio.wait_for(run, 10)
    assert (await load_job(sessions, job_id)).status == "done"
    assert len(await effect_rows(sessions)) == 1


async def test_cancelling_the_worker_puts_its_jobs_back(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    job_id = await _enqueue(sessions, {"key": "k", "marker": str(marker), "block_attempts": [1]})
    worker = Worker(sessions, settings)
    run = asyncio.create_task(worker.run())
    await wait_until(marker.exists)
    await asyncio.sleep(0.05)  # on SQLite the poll now waits for the write lock the job holds
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    job = await load_job(sessions, job_id)
    assert (job.status, job.attempts, job.locked_until) == ("queued", 0, None)
    assert await effect_rows(sessions) == []
    async with unit_of_work(sessions) as s:  # due at once: no lease to wait for
        claimed = await queue.claim_due(
            s,
            names=["tests.effect"],
            worker_id="next",
            limit=10,
            now=utcnow(),
            lease=timedelta(seconds=LEASE_SECONDS),
            default_max_attempts=3,
        )
    assert [(c.id, c.attempt) for c in claimed] == [(job_id, 1)]


async def test_run_polls_and_respects_concurrency(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    settings = make_settings(db_url, worker_concurrency=2)
    running = 0
    peak = 0

    async def count(ctx: JobContext) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1

    handlers.HOOKS["count"] = count
    ids = [await _enqueue(sessions, {"key": f"k{i}", "hook": "count"}) for i in range(6)]
    worker = Worker(sessions, settings)
    run = asyncio.create_task(worker.run())
    await wait_until(lambda: len(handlers.CALLS) == 6)
    worker.stop()
    await asyncio.wait_for(run, 10)
    assert peak == 2
    assert {(await load_job(sessions, i)).status for i in ids} == {"done"}


@pytest.mark.parametrize("via_state", [False, True])
async def test_in_process_worker_runs_jobs_while_the_app_runs(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, via_state: bool
) -> None:
    source = SimpleNamespace(sessions=sessions) if via_state else sessions
    async with in_process_worker(source, settings) as worker:
        assert worker is not None
        job_id = await _enqueue(sessions, {"key": "k"})
        await wait_until(lambda: len(handlers.CALLS) == 1)
    # Leaving the block stops the worker gracefully: the job in flight completes.
    assert (await load_job(sessions, job_id)).status == JobStatus.DONE


async def test_in_process_worker_can_be_turned_off(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    settings = make_settings(db_url, worker_in_process=False)
    async with in_process_worker(sessions, settings) as worker:
        assert worker is None
