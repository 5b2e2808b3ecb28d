"""Several processes share events through Redis (``KRO_REDIS_URL``).

The central test starts two real server processes on one database and one Redis channel: a
client connected to process B receives an event that process A's worker emitted. Each test
uses a channel of its own, so parallel runs never cross.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import kro.realtime.tasks  # noqa: F401 - registers realtime.emit for drain()
from kro.jobs import Job
from kro.jobs.worker import drain
from kro.kit.db import unit_of_work
from kro.realtime import publish
from kro.settings import Settings
from tests.realtime.app import create_realtime_app
from tests.realtime.conftest import Listener, platform_settings, publish_over_http, sign_up
from tests.support.platform import eventually
from tests.support.server import ServerProcess as SubprocessServer
from tests.support.server import free_port, serve_in_thread

pytestmark = pytest.mark.slow


async def subscribed(redis_url: str, channel: str, servers: int) -> bool:
    """Whether at least ``servers`` servers listen on ``channel``."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        counts = await client.pubsub_numsub(channel)
        return bool(counts) and int(counts[0][1]) >= servers
    finally:
        await client.aclose()


class ServerProcess(SubprocessServer):
    """``uvicorn tests.realtime.app:create_realtime_app --factory`` in its own process."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        super().__init__(name, "tests.realtime.app:create_realtime_app", env, log_dir)


@pytest.fixture
def two_servers(
    db_url: str, redis_url: str, channel: str, tmp_path: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Process A runs the worker; process B only serves (its worker is off)."""
    common = {
        "KRO_ENV": "test",
        "KRO_DATABASE_URL": db_url,
        "KRO_REDIS_URL": redis_url,
        "KRO_REALTIME_CHANNEL": channel,
        "KRO_SANDBOX_ENABLED": "false",
        "KRO_ADMIN_EMAIL": "",
        "KRO_WORKER_POLL_INTERVAL": "0.05",
        "KRO_WORKER_SCHEDULE_PERIODIC": "false",
        "KRO_WORKER_SHUTDOWN_TIMEOUT": "5",
        "KRO_LOG_LEVEL": "WARNING",
    }
    a = ServerProcess("a", {**common, "KRO_WORKER_IN_PROCESS": "true"}, tmp_path)
    b = ServerProcess("b", {**common, "KRO_WORKER_IN_PROCESS": "false"}, tmp_path)
    try:
        a.wait_ready()
        b.wait_ready()
        yield a, b
    finally:
        a.close()
        b.close()


async def test_an_event_raised_in_one_process_reaches_a_client_of_another(
    two_servers: tuple[ServerProcess, ServerProcess],
    redis_url: str,
    channel: str,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = two_servers
    async with httpx.AsyncClient(base_url=a.base_url, timeout=10) as http:
        user_id, token = await sign_up(http, "ada@example.com")
        other_id, other_token = await sign_up(http, "bola@example.com")
        on_b, other_on_b, on_a = (
            Listener("order.updated"),
            Listener("order.updated"),
            Listener("order.updated"),
        )
        try:
            await on_b.connect(b.base_url, auth={"token": token})
            await other_on_b.connect(b.base_url, auth={"token": other_token})
            await on_a.connect(a.base_url, auth={"token": token})
            # Both servers subscribe to the channel at start-up.
            await eventually(lambda: subscribed(redis_url, channel, 2), within=10)

            job_id = await publish_over_http(
                http, [user_id], "order.updated", {"order_id": "ord_1", "status": "funded"}, "e1"
            )
            expected = (
                "order.updated",
                {"id": job_id, "data": {"order_id": "ord_1", "status": "funded"}},
            )
            assert await on_b.next(within=15) == expected
            assert await on_a.next(within=5) == expected
            # Once each, and never to another user.
            assert await on_b.nothing_within(0.5) and await on_a.nothing_within(0.1)
            assert await other_on_b.nothing_within(0.1)
        finally:
            for listener in (on_b, other_on_b, on_a):
                await listener.close()

    # The event was raised in A: its worker ran the job (B runs none).
    async with sessions() as s:
        job = await s.get(Job, job_id)
    assert job is not None and job.status == "done"
    assert job.locked_by is not None and f":{a.proc.pid}:" in job.locked_by
    assert other_id != user_id


async def test_a_worker_without_a_socketio_server_publishes_through_redis(
    db_url: str,
    redis_url: str,
    channel: str,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    """``kro worker`` has no server: its emit job goes out through a write-only emitter."""
    port = free_port()
    shared = {"redis_url": redis_url, "realtime_channel": channel}
    server_settings = platform_settings(
        db_url, port, str(tmp_path), worker_in_process=False, **shared
    )
    worker_settings: Settings = server_settings.model_copy(update={"worker_in_process": False})
    with serve_in_thread(lambda _: create_realtime_app(server_settings), port=port) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            user_id, token = await sign_up(http, "ada@example.com")
        client = Listener("payout.updated")
        try:
            await client.connect(base_url, auth={"token": token})
            await eventually(lambda: subscribed(redis_url, channel, 1), within=10)
            async with unit_of_work(sessions) as s:
                job = await publish(
                    s, [user_id], "payout.updated", {"status": "success"}, dedupe_key="p1"
                )
            assert job is not None
            assert await drain(sessions, worker_settings) == 1  # in this test's event loop
            assert await client.next() == (
                "payout.updated",
                {"id": job.id, "data": {"status": "success"}},
            )
        finally:
            await client.close()
    async with sessions() as s:
        statuses = (await s.execute(select(Job.status).where(Job.id == job.id))).scalars().all()
    assert statuses == ["done"]
