"""Enqueue commits (or not) with the caller; dedupe; inspection and operator helpers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs import JobNotDead, JobNotFound, JobStatus, enqueue, service
from kro.kit.clock import clock, utcnow
from kro.kit.db import unit_of_work
from tests.jobs.conftest import count_jobs, effect_rows, load_job
from tests.jobs.handlers import effects


async def test_enqueue_commits_with_the_callers_state_change(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as s:
        await s.execute(insert(effects).values(key="state", job_id="-", attempt=0, worker_id="-"))
        job = await enqueue(s, "tests.effect", {"key": "k1"})
        assert job.id.startswith("job_")
    stored = await load_job(sessions, job.id)
    assert stored.status == JobStatus.QUEUED
    assert stored.attempts == 0
    assert stored.payload == {"key": "k1"}
    assert stored.run_at <= utcnow()
    assert [r.key for r in await effect_rows(sessions)] == ["state"]


async def test_enqueue_is_rolled_back_with_the_caller(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as s:
            await s.execute(insert(effects).values(key="st", job_id="-", attempt=0, worker_id="-"))
            await enqueue(s, "tests.effect", {"key": "k1"})
            raise RuntimeError("the state change failed")
    assert await count_jobs(sessions, "tests.effect") == 0
    assert await effect_rows(sessions) == []


async def test_enqueue_rejects_bad_input(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="bad job name"):
        await enqueue(session, "NoDots", {})
    with pytest.raises(TypeError, match="not plain JSON"):
        await enqueue(session, "tests.effect", {"order": object()})
    with pytest.raises(ValueError, match="timezone-aware"):
        await enqueue(session, "tests.effect", {}, run_at=utcnow().replace(tzinfo=None))
    with pytest.raises(ValueError, match="max_attempts"):
        await enqueue(session, "tests.effect", {}, max_attempts=0)


async def test_dedupe_key_returns_the_existing_job(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as s:
        first = await enqueue(s, "tests.effect", {"key": "a"}, dedupe_key="pay_1:verify")
        again = await enqueue(s, "tests.effect", {"key": "b"}, dedupe_key="pay_1:verify")
        assert again.id == first.id
    async with unit_of_work(sessions) as s:
        later = await enqueue(s, "tests.effect", {"key": "c"}, dedupe_key="pay_1:verify")
        other = await enqueue(s, "tests.effect", {"key": "d"}, dedupe_key="pay_2:verify")
    assert later.id == first.id
    assert later.payload == {"key": "a"}
    assert other.id != first.id
    assert await count_jobs(sessions, "tests.effect") == 2


async def test_run_at_in_the_future_and_max_attempts_are_stored(session: AsyncSession) -> None:
    when = utcnow() + timedelta(hours=1)
    job = await enqueue(session, "tests.effect", {"key": "x"}, run_at=when, max_attempts=5)
    fetched = await service.get_job(session, job.id)
    assert fetched.run_at == when
    assert fetched.max_attempts == 5


async def test_list_count_and_get(session: AsyncSession) -> None:
    ids = [(await enqueue(session, "tests.effect", {"key": str(i)})).id for i in range(5)]
    await enqueue(session, "tests.tick", {"slot": 1})
    newest_first = await service.list_jobs(session, name="tests.effect", limit=3)
    assert [j.id for j in newest_first] == ids[::-1][:3]
    page2 = await service.list_jobs(session, name="tests.effect", before_id=newest_first[-1].id)
    assert [j.id for j in page2] == ids[::-1][3:]
    assert len(await service.list_jobs(session, status="queued")) == 6
    assert await service.list_jobs(session, status=JobStatus.DEAD) == []
    assert await service.count_by_status(session) == {
        "queued": 6,
        "running": 0,
        "done": 0,
        "dead": 0,
    }
    assert (await service.count_by_status(session, name="tests.tick"))["queued"] == 1
    with pytest.raises(JobNotFound):
        await service.get_job(session, "job_01jdzzzzzzzzzzzzzzzzzzzzzz")


async def test_retry_dead_only_retries_dead_jobs(session: AsyncSession) -> None:
    job = await enqueue(session, "tests.effect", {"key": "x"})
    with pytest.raises(JobNotDead):
        await service.retry_dead(session, job.id)
    job.status, job.attempts, job.finished_at = JobStatus.DEAD.value, 3, utcnow()
    job.last_error = "RuntimeError: boom"
    await session.flush()
    clock.advance(timedelta(minutes=5))
    retried = await service.retry_dead(session, job.id)
    assert retried.status == JobStatus.QUEUED
    assert retried.attempts == 0
    assert retried.finished_at is None
    assert utcnow() - timedelta(seconds=5) <= retried.run_at <= utcnow()
    assert retried.last_error == "RuntimeError: boom"


async def test_purge_finished_keeps_recent_and_dead_jobs(session: AsyncSession) -> None:
    old_done, recent_done, dead, queued = [
        await enqueue(session, "tests.effect", {"key": str(i)}) for i in range(4)
    ]
    now = utcnow()
    old_done.status, old_done.finished_at = "done", now - timedelta(days=10)
    recent_done.status, recent_done.finished_at = "done", now - timedelta(days=1)
    dead.status, dead.finished_at = "dead", now - timedelta(days=10)
    await session.flush()
    assert await service.purge_finished(session, before=now - timedelta(days=7)) == 1
    left = {j.id for j in await service.list_jobs(session)}
    assert left == {recent_done.id, dead.id, queued.id}
