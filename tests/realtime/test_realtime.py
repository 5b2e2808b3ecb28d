"""Socket.IO on the platform: authenticated connections, events published through the outbox
and run by the in-process worker, each user seeing only their own events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import socketio
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.identity.models import User
from kro.identity.security import create_access_token
from kro.kit.db import unit_of_work
from kro.settings import Settings
from tests.realtime.conftest import Listener, publish_over_http, sign_up


@pytest.fixture
async def listeners() -> AsyncIterator[list[Listener]]:
    made: list[Listener] = []
    yield made
    await asyncio.gather(*(listener.close() for listener in made))


def new_listener(made: list[Listener], *events: str) -> Listener:
    created = Listener(*events)
    made.append(created)
    return created


async def test_a_signed_in_client_receives_the_event_published_for_its_user(
    realtime_platform: tuple[str, Settings], http: httpx.AsyncClient, listeners: list[Listener]
) -> None:
    base_url, _ = realtime_platform
    user_id, token = await sign_up(http, "ada@example.com")
    client = new_listener(listeners, "order.updated")
    # Long-polling first, then the upgrade to WebSocket (what browsers do).
    await client.connect(base_url, auth={"token": token}, transports=["polling", "websocket"])

    job_id = await publish_over_http(
        http, [user_id], "order.updated", {"order_id": "ord_1", "status": "funded"}, "k1"
    )
    event, payload = await client.next()
    assert event == "order.updated"
    assert payload == {"id": job_id, "data": {"order_id": "ord_1", "status": "funded"}}


async def test_the_token_may_come_in_the_query_string(
    realtime_platform: tuple[str, Settings], http: httpx.AsyncClient, listeners: list[Listener]
) -> None:
    base_url, _ = realtime_platform
    user_id, token = await sign_up(http, "ada@example.com")
    client = new_listener(listeners, "wallet.updated")
    await client.connect(base_url, query=f"token={token}")
    job_id = await publish_over_http(http, [user_id], "wallet.updated", {"balance": 150_000}, "w")
    assert await client.next() == ("wallet.updated", {"id": job_id, "data": {"balance": 150_000}})


async def test_a_user_never_receives_another_users_events(
    realtime_platform: tuple[str, Settings], http: httpx.AsyncClient, listeners: list[Listener]
) -> None:
    base_url, _ = realtime_platform
    ada_id, ada_token = await sign_up(http, "ada@example.com")
    bola_id, bola_token = await sign_up(http, "bola@example.com")
    ada = new_listener(listeners, "order.updated")
    bola = new_listener(listeners, "order.updated")
    ada_phone = new_listener(listeners, "order.updated")  # a second connection of Ada's
    await ada.connect(base_url, auth={"token": ada_token})
    await bola.connect(base_url, auth={"token": bola_token})
    await ada_phone.connect(base_url, auth={"token": ada_token})

    await publish_over_http(http, [ada_id], "order.updated", {"order_id": "ord_ada"}, "a")
    assert (await ada.next())[1]["data"] == {"order_id": "ord_ada"}
    assert (await ada_phone.next())[1]["data"] == {"order_id": "ord_ada"}
    await publish_over_http(http, [bola_id], "order.updated", {"order_id": "ord_bola"}, "b")
    # Bola's connection saw Ada's event first if it was ever sent to it: it was not.
    assert (await bola.next())[1]["data"] == {"order_id": "ord_bola"}
    assert await bola.nothing_within(0.3)
    assert await ada.nothing_within(0.3) and await ada_phone.nothing_within(0.1)

    # One event for both parties of an order reaches each of them once.
    await publish_over_http(http, [ada_id, bola_id], "order.updated", {"order_id": "o"}, "ab")
    assert (await ada.next())[1]["data"] == (await bola.next())[1]["data"] == {"order_id": "o"}
    assert await ada.nothing_within(0.3) and await bola.nothing_within(0.1)


async def _refusal(base_url: str, **connect: Any) -> dict[str, Any]:
    """Connect, expect a refusal, return the ``connect_error`` payload."""
    client = Listener()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(base_url, **connect)
    assert not client.client.connected
    await client.close()
    assert isinstance(client.refusal, dict), client.refusal
    return client.refusal


async def test_connections_without_a_valid_token_of_an_active_user_are_refused(
    realtime_platform: tuple[str, Settings],
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    base_url, settings = realtime_platform
    user_id, token = await sign_up(http, "ada@example.com")
    expired = create_access_token(user_id, "user", secret=settings.jwt_secret, ttl_seconds=-5)
    forged = create_access_token(user_id, "user", secret="x" * 64, ttl_seconds=600)
    ghost = create_access_token("usr_nobody", "user", secret=settings.jwt_secret, ttl_seconds=600)

    assert await _refusal(base_url) == {
        "message": "An access token is required.",
        "data": {"code": "unauthorized"},
    }
    cases = {
        "not-a-jwt": "invalid_token",
        expired: "token_expired",
        forged: "invalid_token",
        ghost: "invalid_token",
    }
    for bad, code in cases.items():
        assert (await _refusal(base_url, auth={"token": bad}))["data"] == {"code": code}, bad
    refusal = await _refusal(base_url, query="token=not-a-jwt")
    assert refusal["data"] == {"code": "invalid_token"}

    async with unit_of_work(sessions) as session:
        await session.execute(update(User).where(User.id == user_id).values(is_active=False))
    refusal = await _refusal(base_url, auth={"token": token})
    assert refusal["data"] == {"code": "user_inactive"}
