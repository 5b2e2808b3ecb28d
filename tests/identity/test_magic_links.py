"""Magic links: always 202, single use, 15-minute expiry, digests only, every issue and use
logged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.identity.models import MagicLink, MagicLinkEvent
from kro.jobs.worker import drain
from kro.kit.clock import clock
from kro.settings import Settings
from tests.identity.verification_fixtures import api_client, count_notifications, latest_context
from tests.notifications.messaging_fixtures import (
    Messaging,
    messaging,
    messaging_server,
    messaging_settings,
)
from tests.support.api import data, error, register_and_login

__all__ = ["messaging", "messaging_server"]

EMAIL = "ada@example.com"
EVENT = "identity.magic_link"


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(settings) as client:
        await register_and_login(client, EMAIL)
        yield client


async def _token(sessions: async_sessionmaker[AsyncSession]) -> str:
    context = await latest_context(sessions, EVENT)
    assert context is not None
    link = urlparse(str(context["link"]))
    assert link.path == "/sign-in/link"
    return parse_qs(link.query)["token"][0]


async def _log(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str | None]]:
    async with sessions() as session:
        stmt = select(MagicLinkEvent).order_by(MagicLinkEvent.id)
        return [(e.action, e.reason) for e in (await session.execute(stmt)).scalars()]


async def test_sign_in_once(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    answer = data(await api.post("/v1/auth/magic-link", json={"email": "ADA@example.com"}), 202)
    assert "sign-in link" in answer["message"]
    context = await latest_context(sessions, EVENT)
    assert context and str(context["link"]).startswith(f"{settings.base_url}/sign-in/link?token=")
    token = await _token(sessions)
    async with sessions() as session:
        link = (await session.execute(select(MagicLink))).scalar_one()
    assert token not in link.token_digest and len(link.token_digest) == 64
    tokens = data(await api.post("/v1/auth/magic-link/verify", json={"token": token}))
    assert tokens["token_type"] == "bearer"
    me = data(
        await api.get("/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    )
    assert me["email"] == EMAIL
    err = error(
        await api.post("/v1/auth/magic-link/verify", json={"token": token}),
        401,
        "invalid_magic_link",
    )
    assert err["details"] == {"reason": "used"}
    assert await _log(sessions) == [("issued", None), ("used", None), ("rejected", "used")]


async def test_link_expires_after_15_minutes(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    data(await api.post("/v1/auth/magic-link", json={"email": EMAIL}), 202)
    token = await _token(sessions)
    clock.advance(timedelta(minutes=15, seconds=1))
    err = error(
        await api.post("/v1/auth/magic-link/verify", json={"token": token}),
        401,
        "invalid_magic_link",
    )
    assert err["details"] == {"reason": "expired"}


async def test_unknown_email_gets_the_same_202_and_nothing_is_sent(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    known = await api.post("/v1/auth/magic-link", json={"email": EMAIL})
    unknown = await api.post("/v1/auth/magic-link", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json()["data"] == unknown.json()["data"]
    assert await count_notifications(sessions, EVENT) == 1
    assert await _log(sessions) == [("issued", None), ("unknown_email", None)]
    error(
        await api.post("/v1/auth/magic-link/verify", json={"token": "ml_garbage"}),
        401,
        "invalid_magic_link",
    )
    error(await api.post("/v1/auth/magic-link", json={"email": "nope"}), 422, "validation_error")


async def test_at_most_five_links_an_hour(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    for _ in range(7):
        data(await api.post("/v1/auth/magic-link", json={"email": EMAIL}), 202)
    assert await count_notifications(sessions, EVENT) == 5
    assert [a for a, _ in await _log(sessions)].count("throttled") == 2


async def test_the_link_page_does_not_consume_the_token(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    data(await api.post("/v1/auth/magic-link", json={"email": EMAIL}), 202)
    token = await _token(sessions)
    page = await api.get("/sign-in/link", params={"token": token})
    assert page.status_code == 200 and "Sign in to KRO" in page.text
    # A link mailed before the sign-in page existed lands on it.
    old = await api.get("/v1/auth/magic-link/verify", params={"token": token})
    assert old.status_code == 307 and old.headers["location"].startswith("/sign-in/link?token=")
    data(await api.post("/v1/auth/magic-link/verify", json={"token": token}))


async def test_the_link_arrives_by_email_through_the_sandbox(
    db_url: str, sessions: async_sessionmaker[AsyncSession], messaging: Messaging
) -> None:
    settings = messaging_settings(db_url, messaging)
    async with api_client(settings) as api:
        await register_and_login(api, "bola@example.com")
        data(await api.post("/v1/auth/magic-link", json={"email": "bola@example.com"}), 202)
        assert await drain(sessions, settings) == 1
        [mail] = await messaging.inbox(to="bola@example.com")
        assert mail["provider"] == "sendgrid" and mail["subject"] == "Your KRO sign-in link"
        link = next(w for w in mail["body"].split() if "/sign-in/link?token=" in w)
        token = parse_qs(urlparse(link).query)["token"][0]
        data(await api.post("/v1/auth/magic-link/verify", json={"token": token}))
