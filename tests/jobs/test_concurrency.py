"""Several workers on one database never run a job twice at the same time."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs import JobContext, enqueue, queue
from kro.jobs.worker import Worker
from kro.kit.clock import utcnow
from kro.kit.db import create_engine, session_factory, unit_of_work
from tests.jobs import handlers
from tests.jobs.conftest import LEASE_SECONDS, effect_rows, make_settings

JOBS = 24


async def _work_until_empty(worker: Worker) -> None:
    while await worker.run_once():
        pass


async def test_two_workers_run_every_job_exactly_once(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    """Two workers with their own engines (as two processes would have) share 24 jobs."""
    in_flight: set[str] = set()
    overlaps: list[str] = []

    async def track(ctx: JobContext) -> None:
        if ctx.job_id in in_flight:
            overlaps.append(ctx.job_id)
        in_flight.add(ctx.job_id)
        await asyncio.sleep(0.005)
        in_flight.discard(ctx.job_id)

    handlers.HOOKS["track"] = track
    async with unit_of_work(sessions) as s:
        for i in range(JOBS):
            await enqueue(s, "tests.effect", {"key": f"k{i:02}", "hook": "track"})

    settings = make_settings(db_url)
    engines = [create_engine(db_url), create_engine(db_url)]
    try:
        workers = [
            Worker(session_factory(e), settings, worker_id=f"w{i}") for i, e in enumerate(engines)
        ]
        await asyncio.gather(*(_work_until_empty(w) for w in workers))
    finally:
        for e in engines:
            await e.dispose()

    assert overlaps == []
    runs = Counter(c.job_id for c in handlers.CALLS)
    assert len(runs) == JOBS and set(runs.values()) == {1}
    rows = await effect_rows(sessions)
    assert len(rows) == JOBS
    assert {r.worker_id for r in rows} == {"w0", "w1"}


@pytest.mark.postgres
async def test_skip_locked_claims_hand_out_disjoint_jobs(pg_url: str) -> None:
    """While one claim transaction is open, a second claims the other jobs, not the same."""
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    try:
        async with unit_of_work(sessions) as s:
            ids = {(await enqueue(s, "tests.effect", {"key": str(i)})).id for i in range(3)}

        async def claim(session: AsyncSession, worker_id: str) -> list[queue.ClaimedJob]:
            return await queue.claim_due(
                session,
                names=["tests.effect"],
                worker_id=worker_id,
                limit=2,
                now=utcnow(),
                lease=timedelta(seconds=LEASE_SECONDS),
                default_max_attempts=3,
            )

        async with sessions() as first, sessions() as second:
            a = await claim(first, "a")
            b = await claim(second, "b")  # does not wait for `first`: it skips its rows
            assert len(a) == 2
            assert len(b) == 1
            assert {j.id for j in a} | {j.id for j in b} == ids
            await first.commit()
            await second.commit()
    finally:
        await engine.dispose()
