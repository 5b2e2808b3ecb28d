"""Fixtures of the jobs tests: settings for a test worker, the effects table, helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from kro.jobs import Job
from kro.kit.db import session_factory
from kro.settings import Settings
from tests.jobs import handlers

LEASE_SECONDS = 30


def make_settings(db_url: str, **overrides: Any) -> Settings:
    """Settings of a test worker: test handlers loaded, fast polling, no periodic jobs."""
    values: dict[str, Any] = {
        "env": "test",
        "database_url": db_url,
        "job_extra_modules": "tests.jobs.handlers",
        "worker_schedule_periodic": False,
        "worker_poll_interval": 0.01,
        "worker_concurrency": 4,
        "job_max_attempts": 3,
        "job_backoff_base": 10.0,
        "job_backoff_max": 60.0,
        "job_lease_seconds": LEASE_SECONDS,
        "worker_shutdown_timeout": 5.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
async def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The test database's session factory, with the test-only effects table created."""
    async with engine.begin() as conn:
        await conn.run_sync(handlers.metadata.create_all)
    return session_factory(engine)


@pytest.fixture(autouse=True)
def _reset_handler_state() -> Iterator[None]:
    handlers.CALLS.clear()
    handlers.HOOKS.clear()
    yield
    handlers.CALLS.clear()
    handlers.HOOKS.clear()


async def effect_rows(sessions: async_sessionmaker[AsyncSession]) -> list[Any]:
    """Committed rows of the effects table, by key."""
    async with sessions() as s:
        result = await s.execute(select(handlers.effects).order_by(handlers.effects.c.key))
        return list(result.all())


async def load_job(sessions: async_sessionmaker[AsyncSession], job_id: str) -> Job:
    async with sessions() as s:
        job = await s.get(Job, job_id)
        assert job is not None
        return job


async def count_jobs(sessions: async_sessionmaker[AsyncSession], name: str) -> int:
    async with sessions() as s:
        return int((await s.scalar(select(func.count()).where(Job.name == name))) or 0)


async def wait_until(predicate: Callable[[], bool], *, within: float = 20.0) -> None:
    """Poll ``predicate`` every 10 ms until true; fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
