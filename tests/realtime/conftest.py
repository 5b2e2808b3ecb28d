"""Realtime fixtures: a platform with Socket.IO under real uvicorn, Socket.IO clients, Redis.

Redis comes from ``KRO_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``). Tests that
need it skip when it is unreachable, except under CI (``CI`` set), where they fail. Each test
gets its own pub/sub channel, so parallel runs never see each other's events.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import socketio

from kro.settings import Settings
from tests.realtime.app import create_realtime_app
from tests.support.api import data
from tests.support.server import free_port, serve_in_thread

REDIS_URL = os.environ.get("KRO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "correct horse battery"


@pytest.fixture
async def redis_url() -> str:
    """A reachable Redis (skip, or fail under CI, when there is none)."""
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    finally:
        await client.aclose()
    return REDIS_URL


@pytest.fixture
def channel() -> str:
    """A pub/sub channel of this test alone."""
    return f"kro-test-realtime-{uuid.uuid4().hex}"


def platform_settings(db_url: str, port: int, tmp: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "port": port,
        "database_url": db_url,
        "sandbox_enabled": False,
        "sandbox_database_url": f"sqlite+aiosqlite:///{tmp}/sandbox.db",
        "worker_poll_interval": 0.05,
        "worker_schedule_periodic": False,
        "worker_shutdown_timeout": 5.0,
        "admin_email": "",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def realtime_platform(
    db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Settings]]:
    """The platform with realtime (in-process events, in-process worker) on a real port."""
    port = free_port()
    settings = platform_settings(db_url, port, str(tmp_path_factory.mktemp("rt")))
    with serve_in_thread(lambda _: create_realtime_app(settings), port=port) as base_url:
        yield base_url, settings


@pytest.fixture
async def http(realtime_platform: tuple[str, Settings]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=realtime_platform[0], timeout=10) as client:
        yield client


async def sign_up(http: httpx.AsyncClient, email: str) -> tuple[str, str]:
    """Register and log in ``email``; return (user id, access token)."""
    user = data(
        await http.post(
            "/v1/auth/register",
            json={"email": email, "password": PASSWORD, "full_name": email.split("@")[0]},
        ),
        201,
    )
    r = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    return user["id"], data(r)["access_token"]


async def publish_over_http(
    http: httpx.AsyncClient, user_ids: list[str], event: str, payload: dict[str, Any], key: str
) -> str:
    body = {"user_ids": user_ids, "event": event, "data": payload, "dedupe_key": key}
    job_id: str = data(await http.post("/_test/realtime/publish", json=body))["job_id"]
    return job_id


class Listener:
    """A Socket.IO client that records every event it is told to listen to."""

    def __init__(self, *events: str) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.refusal: Any = None
        for event in events:
            self.client.on(event, self._recorder(event))
        self.client.on("connect_error", self._refused)

    def _recorder(self, event: str) -> Any:
        async def record(payload: Any) -> None:
            self.received.put_nowait((event, payload))

        return record

    async def _refused(self, payload: Any) -> None:
        self.refusal = payload

    async def connect(
        self,
        base_url: str,
        *,
        auth: dict[str, Any] | None = None,
        query: str = "",
        transports: list[str] | None = None,
    ) -> None:
        url = f"{base_url}{'?' + query if query else ''}"
        await self.client.connect(
            url, auth=auth, transports=transports or ["websocket"], wait_timeout=10
        )

    async def next(self, within: float = 10.0) -> tuple[str, Any]:
        return await asyncio.wait_for(self.received.get(), within)

    async def nothing_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.received.get(), seconds)
        except TimeoutError:
            return True
        return False

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()
