"""``/v1/me/notification-preferences`` and ``/v1/me/notifications``: scoped to the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.identity.models import User
from kro.kit.db import unit_of_work
from kro.notifications.service import notify
from kro.settings import Settings
from tests.identity.verification_fixtures import api_client
from tests.notifications.messaging_fixtures import sample_context
from tests.support.api import data, error, register_and_login


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(settings) as client:
        yield client


async def test_preferences(api: httpx.AsyncClient) -> None:
    auth = await register_and_login(api, "ada@example.com")
    prefs = data(await api.get("/v1/me/notification-preferences", headers=auth))
    funded = next(p for p in prefs if p["event"] == "order.funded")
    assert funded["channels"] == {"email": True, "sms": True, "whatsapp": False}
    assert not any(p["event"].startswith("identity.") for p in prefs)
    changed = data(
        await api.put(
            "/v1/me/notification-preferences/order.funded",
            json={"sms": False, "whatsapp": True},
            headers=auth,
        )
    )
    assert changed["channels"] == {"email": True, "sms": False, "whatsapp": True}
    other = await register_and_login(api, "bola@example.com")
    prefs = data(await api.get("/v1/me/notification-preferences", headers=other))
    assert next(p for p in prefs if p["event"] == "order.funded")["channels"]["sms"] is True
    error(
        await api.put(
            "/v1/me/notification-preferences/identity.magic_link",
            json={"email": False},
            headers=auth,
        ),
        422,
        "unknown_notification_event",
    )
    error(
        await api.put(
            "/v1/me/notification-preferences/order.funded", json={"fax": True}, headers=auth
        ),
        422,
        "validation_error",
    )
    error(await api.get("/v1/me/notification-preferences"), 401)


async def test_my_notifications_only(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ada = await register_and_login(api, "ada@example.com")
    bola = await register_and_login(api, "bola@example.com")
    async with unit_of_work(sessions) as session:
        user = (
            await session.execute(select(User).where(User.email == "ada@example.com"))
        ).scalar_one()
        await notify(session, user.id, "order.started", sample_context(), dedupe_key="o1")
    [mine] = data(await api.get("/v1/me/notifications", headers=ada))
    assert (mine["event"], mine["channel"], mine["status"]) == ("order.started", "email", "pending")
    assert "context" not in mine
    assert data(await api.get("/v1/me/notifications", headers=bola)) == []
