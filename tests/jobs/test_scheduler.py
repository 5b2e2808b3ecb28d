"""Periodic jobs: one job per slot however many workers schedule it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs.models import Job
from kro.jobs.registry import load_handlers
from kro.jobs.scheduler import PeriodicJob, periodic_jobs, schedule, unschedule
from kro.jobs.worker import Worker, drain
from kro.kit.clock import clock
from kro.kit.db import create_engine, session_factory
from tests.jobs import handlers
from tests.jobs.conftest import count_jobs, effect_rows, make_settings

EVERY = timedelta(minutes=5)


@pytest.fixture
def tick_every_five_minutes() -> Iterator[None]:
    schedule("tests.tick", EVERY)
    yield
    unschedule("tests.tick")


def test_slots_are_aligned_on_the_epoch() -> None:
    job = PeriodicJob("tests.tick", timedelta(hours=1))
    now = datetime(2025, 3, 1, 10, 59, 59, tzinfo=UTC)
    slot = job.slot(now)
    assert job.slot_start(slot) == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert job.slot(now + timedelta(seconds=1)) == slot + 1
    assert job.dedupe_key(slot) == f"tests.tick:{slot}"


def test_schedule_validates() -> None:
    with pytest.raises(ValueError, match="once a second"):
        schedule("tests.too_often", timedelta(milliseconds=10))
    schedule("tests.tock", EVERY)
    try:
        with pytest.raises(ValueError, match="already scheduled"):
            schedule("tests.tock", EVERY * 2)
    finally:
        unschedule("tests.tock")
    assert "tests.tock" not in {p.name for p in periodic_jobs()}
    load_handlers()
    assert "jobs.purge_finished" in {p.name for p in periodic_jobs()}


@pytest.mark.usefixtures("tick_every_five_minutes")
async def test_two_workers_enqueue_one_job_per_slot(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    settings = make_settings(db_url, worker_schedule_periodic=True)
    other_engine = create_engine(db_url)
    try:
        a = Worker(sessions, settings, worker_id="a")
        b = Worker(session_factory(other_engine), settings, worker_id="b")
        # Start mid-slot so that the two rounds below stay in the same slot, early in an hour
        # so that the hourly jobs' slot does not change either (it did a few minutes before
        # each hour).
        tick = PeriodicJob("tests.tick", EVERY)
        now = clock.now()
        next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        clock.advance(next_hour + EVERY / 2 - now)

        for _ in range(2):
            await asyncio.gather(a.run_once(), b.run_once())
        assert await count_jobs(sessions, "tests.tick") == 1
        assert [r.key for r in await effect_rows(sessions)] == [f"tick:{tick.slot(clock.now())}"]

        clock.advance(EVERY)
        # Other modules' periodic jobs of the new slot (hourly reconciliation, timers) share
        # the rounds: go on until the tick has run, the count below is what matters.
        for _ in range(10):
            await asyncio.gather(a.run_once(), b.run_once())
            if len(await effect_rows(sessions)) == 2:
                break
        assert await count_jobs(sessions, "tests.tick") == 2
        assert len(await effect_rows(sessions)) == 2
        assert len(handlers.CALLS) == 2
        assert await count_jobs(sessions, "jobs.purge_finished") == 1  # the module's own
    finally:
        await other_engine.dispose()


@pytest.mark.usefixtures("tick_every_five_minutes")
async def test_drain_skips_periodic_jobs_unless_asked(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    settings = make_settings(db_url, worker_schedule_periodic=True)
    assert await drain(sessions, settings) == 0
    # tests.tick, jobs.purge_finished and whatever other modules imported in this process
    # have scheduled (e.g. escrow.expire_orders once the app was created).
    names = [job.name for job in periodic_jobs()]
    assert len(names) >= 2
    # A periodic job may fan out — the reconciliation, in the hours where it is due, queues a
    # job per configuration and day — and those run in the same drain.
    assert await drain(sessions, settings, periodic=True) >= len(names)
    assert await drain(sessions, settings, periodic=True) == 0  # same slot
    async with sessions() as s:
        rows = (await s.execute(select(Job.name, Job.status).where(Job.name.in_(names)))).all()
    assert sorted(rows) == [(name, "done") for name in sorted(names)]  # each once, done
