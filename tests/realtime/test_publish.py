"""``publish``: a ``realtime.emit`` job in the caller's transaction, once per dedupe key; and
the emit job in a process that has no Socket.IO server."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import kro.realtime.tasks  # noqa: F401 - registers realtime.emit
from kro.jobs import Job
from kro.jobs.worker import drain
from kro.kit.db import unit_of_work
from kro.realtime import EMIT_JOB, publish
from kro.settings import Settings


async def _jobs(sessions: async_sessionmaker[AsyncSession]) -> list[Job]:
    async with sessions() as s:
        return list((await s.execute(select(Job).where(Job.name == EMIT_JOB))).scalars())


async def test_publish_writes_one_job_per_dedupe_key_with_the_callers_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as s:
        first = await publish(
            s, ["usr_b", "usr_a", "usr_b"], "order.updated", {"n": 1}, dedupe_key="k"
        )
        again = await publish(s, ["usr_a"], "order.updated", {"n": 2}, dedupe_key="k")
    assert first is not None and again is not None and again.id == first.id
    assert first.payload == {
        "user_ids": ["usr_a", "usr_b"],
        "event": "order.updated",
        "data": {"n": 1},
    }
    assert first.dedupe_key == "realtime:k" and first.max_attempts == 5

    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as s:
            await publish(s, ["usr_a"], "order.updated", {}, dedupe_key="rolled-back")
            raise RuntimeError("the state change failed")
    assert [j.id for j in await _jobs(sessions)] == [first.id]


async def test_publish_refuses_bad_input_and_skips_empty_audiences(
    session: AsyncSession,
) -> None:
    assert await publish(session, [], "order.updated", {}, dedupe_key="none") is None
    for name in ("connect", "disconnect", "Order.Updated", "order.", ""):
        with pytest.raises(ValueError):
            await publish(session, ["usr_a"], name, {}, dedupe_key="x")
    with pytest.raises(ValueError):
        await publish(session, ["usr_a"], "order.updated", {}, dedupe_key="")
    with pytest.raises(TypeError):
        await publish(session, ["usr_a"], "order.updated", {"at": object()}, dedupe_key="y")
    long = await publish(session, ["usr_a"], "order.updated", {}, dedupe_key="z" * 500)
    assert long is not None and long.dedupe_key is not None and len(long.dedupe_key) <= 200


async def test_without_redis_or_a_server_in_the_process_the_event_is_dropped_not_retried(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with unit_of_work(sessions) as s:
        job = await publish(s, ["usr_a"], "order.updated", {}, dedupe_key="nowhere")
    assert await drain(sessions, settings) == 1
    [done] = await _jobs(sessions)
    assert job is not None and done.id == job.id and done.status == "done"


async def test_redis_down_fails_the_job_so_it_is_retried(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    # Nothing listens on port 1: every publish fails.
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    async with unit_of_work(sessions) as s:
        await publish(s, ["usr_a"], "order.updated", {}, dedupe_key="redis-down")
    assert await drain(sessions, down) == 1
    [job] = await _jobs(sessions)
    assert job.status == "queued" and job.attempts == 1
    assert job.last_error is not None and "RealtimeUnavailable" in job.last_error
