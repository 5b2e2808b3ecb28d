"""Chat across two ``kro serve`` processes on one PostgreSQL database and one Redis: the
buyer's Socket.IO connection is on server 1, the seller posts in the order's conversation
on server 2 (whose in-process worker emits the event through the Socket.IO Redis manager),
and the buyer receives the message live. Server 1 runs no worker: the event can only have
crossed through Redis."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.marketplace import catalog
from tests.marketplace.conftest import PREFIX, gig
from tests.ops.cluster import KRO, Proc, wait_http
from tests.realtime.conftest import Listener, channel, redis_url, sign_up  # noqa: F401
from tests.realtime.test_shared import subscribed
from tests.support.api import data
from tests.support.platform import eventually
from tests.support.server import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def servers(db_url: str, redis_url: str, channel: str, tmp_path: Path) -> Iterator[list[str]]:  # noqa: F811
    """Two ``kro serve`` processes; only the second runs the worker."""
    if not db_url.startswith("postgresql"):
        pytest.skip("two server processes share PostgreSQL (KRO_TEST_POSTGRES_URL)")
    ports = [free_port(), free_port()]
    common = {
        "KRO_ENV": "test",
        "KRO_LOG_LEVEL": "WARNING",
        "KRO_DATABASE_URL": db_url,
        "KRO_REDIS_URL": redis_url,
        "KRO_REALTIME_CHANNEL": channel,
        "KRO_SANDBOX_ENABLED": "false",
        "KRO_ADMIN_EMAIL": "",
        "KRO_WORKER_POLL_INTERVAL": "0.05",
        "KRO_WORKER_SCHEDULE_PERIODIC": "false",
        "KRO_STORAGE_PATH": str(tmp_path / "files"),
        "KRO_API_RATE_LIMIT": "1000000/minute",
    }
    procs = [
        Proc(
            f"serve-{i + 1}",
            [*KRO, "serve", "--port", str(port), "--no-access-log"],
            {
                **common,
                "KRO_PORT": str(port),
                "KRO_BASE_URL": f"http://127.0.0.1:{port}",
                "KRO_WORKER_IN_PROCESS": "true" if i == 1 else "false",
            },
            tmp_path,
        )
        for i, port in enumerate(ports)
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for proc in procs:
            proc.start()
        for proc, url in zip(procs, urls, strict=True):
            wait_http(f"{url}/healthz", proc)
        yield urls
    finally:
        for proc in procs:
            proc.stop()


async def test_a_message_posted_on_one_server_reaches_the_buyer_on_the_other(
    servers: list[str],
    redis_url: str,  # noqa: F811
    channel: str,  # noqa: F811
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    one, two = servers
    tag = secrets.token_hex(3)
    async with sessions() as session:
        category = await catalog.create_category(session, f"Chat {tag}")
        await session.commit()
    async with (
        httpx.AsyncClient(base_url=one, timeout=15) as on_one,
        httpx.AsyncClient(base_url=two, timeout=15) as on_two,
    ):
        _, buyer_token = await sign_up(on_one, f"buyer-{tag}@example.com")
        _, seller_token = await sign_up(on_two, f"seller-{tag}@example.com")
        buyer = {"Authorization": f"Bearer {buyer_token}"}
        seller = {"Authorization": f"Bearer {seller_token}"}
        service = data(
            await on_two.post(f"{PREFIX}/services", json=gig(category.id), headers=seller), 201
        )
        body = {"service_id": service["id"], "package_id": service["packages"][0]["id"]}
        data(await on_one.post(f"{PREFIX}/orders", json=body, headers=buyer), 201)
        conversation = data(await on_two.get("/v1/conversations", headers=seller))[0]
        listener = Listener("conversation.message")
        try:
            await listener.connect(one, auth={"token": buyer_token})
            await eventually(lambda: subscribed(redis_url, channel, 2), within=15)
            sent = data(
                await on_two.post(
                    f"/v1/conversations/{conversation['id']}/messages",
                    json={"body": "Hello from server two"},
                    headers=seller,
                ),
                201,
            )
            event, payload = await listener.next(within=20)
            assert event == "conversation.message"
            assert payload["data"]["message_id"] == sent["id"]
            assert payload["data"]["conversation_id"] == conversation["id"]
            assert await listener.nothing_within(0.5)
        finally:
            await listener.close()
        url = f"/v1/conversations/{conversation['id']}/messages"
        history = data(await on_one.get(url, headers=buyer))
        assert [m["body"] for m in history] == ["Hello from server two"]
