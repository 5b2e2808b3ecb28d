"""Phone verification by SMS code: hashed codes, 10-minute expiry, attempt and resend limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.identity.models import PhoneVerification, User
from kro.identity.phone import normalise_phone
from kro.jobs.worker import drain
from kro.kit.clock import clock
from kro.kit.errors import Unprocessable
from kro.settings import Settings
from tests.identity.verification_fixtures import api_client, latest_context
from tests.notifications.messaging_fixtures import (
    Messaging,
    messaging,
    messaging_server,
    messaging_settings,
)
from tests.support.api import data, error, register_and_login

__all__ = ["messaging", "messaging_server"]

PHONE = "+2348031234567"


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(settings) as client:
        yield client


@pytest.fixture
async def auth(api: httpx.AsyncClient) -> dict[str, str]:
    return await register_and_login(api, "ada@example.com")


async def _code(sessions: async_sessionmaker[AsyncSession]) -> str:
    context = await latest_context(sessions, "identity.phone_code")
    assert context is not None
    return str(context["code"])


async def _user(sessions: async_sessionmaker[AsyncSession]) -> User:
    async with sessions() as session:
        stmt = select(User).where(User.email == "ada@example.com")
        return (await session.execute(stmt)).scalar_one()


async def test_send_and_confirm(
    api: httpx.AsyncClient, auth: dict[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    sent = data(await api.post("/v1/me/phone", json={"phone": "0803 123 4567"}, headers=auth), 202)
    assert sent["phone"] == PHONE and sent["resend_after"] == 60
    code = await _code(sessions)
    assert len(code) == 6 and code.isdigit()
    async with sessions() as session:
        row = (await session.execute(select(PhoneVerification))).scalar_one()
    assert code not in row.code_digest and len(row.code_digest) == 64  # stored as an HMAC
    wrong = "000000" if code != "000000" else "111111"
    err = error(
        await api.post("/v1/me/phone/verify", json={"code": wrong}, headers=auth),
        400,
        "invalid_code",
    )
    assert err["details"] == {"attempts_left": 4}
    assert (await _user(sessions)).phone is None
    verified = data(await api.post("/v1/me/phone/verify", json={"code": code}, headers=auth))
    assert verified["phone"] == PHONE and verified["phone_verified_at"]
    user = await _user(sessions)
    assert user.phone == PHONE and user.phone_verified_at is not None
    error(
        await api.post("/v1/me/phone/verify", json={"code": code}, headers=auth),
        400,
        "code_expired",
    )


async def test_code_expires_after_10_minutes(
    api: httpx.AsyncClient, auth: dict[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    data(await api.post("/v1/me/phone", json={"phone": PHONE}, headers=auth), 202)
    code = await _code(sessions)
    clock.advance(timedelta(minutes=10, seconds=1))
    error(
        await api.post("/v1/me/phone/verify", json={"code": code}, headers=auth),
        400,
        "code_expired",
    )


async def test_five_wrong_codes_lock_the_code(
    api: httpx.AsyncClient, auth: dict[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    data(await api.post("/v1/me/phone", json={"phone": PHONE}, headers=auth), 202)
    code = await _code(sessions)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1, 0):
        err = error(
            await api.post("/v1/me/phone/verify", json={"code": wrong}, headers=auth),
            400,
            "invalid_code",
        )
        assert err["details"]["attempts_left"] == left
    error(
        await api.post("/v1/me/phone/verify", json={"code": code}, headers=auth),
        429,
        "too_many_attempts",
    )
    # A new code (after the resend interval) starts afresh.
    clock.advance(timedelta(seconds=61))
    data(await api.post("/v1/me/phone", json={"phone": PHONE}, headers=auth), 202)
    data(await api.post("/v1/me/phone/verify", json={"code": await _code(sessions)}, headers=auth))


async def test_resend_limits(
    api: httpx.AsyncClient, auth: dict[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    data(await api.post("/v1/me/phone", json={"phone": PHONE}, headers=auth), 202)
    first = await _code(sessions)
    error(
        await api.post("/v1/me/phone", json={"phone": PHONE}, headers=auth),
        429,
        "phone_code_too_soon",
    )
    for _ in range(4):
        clock.advance(timedelta(seconds=61))
        data(await api.post("/v1/me/phone", json={"phone": PHONE}, headers=auth), 202)
    clock.advance(timedelta(seconds=61))
    error(
        await api.post("/v1/me/phone", json={"phone": PHONE}, headers=auth),
        429,
        "phone_code_limit",
    )
    clock.advance(timedelta(hours=1))
    auth = await register_and_login(api, "ada@example.com")  # the access token expired
    data(await api.post("/v1/me/phone", json={"phone": PHONE}, headers=auth), 202)
    latest = await _code(sessions)
    if first != latest:  # a superseded code no longer works
        error(
            await api.post("/v1/me/phone/verify", json={"code": first}, headers=auth),
            400,
            "invalid_code",
        )
    data(await api.post("/v1/me/phone/verify", json={"code": latest}, headers=auth))


async def test_bad_input_and_no_token(api: httpx.AsyncClient, auth: dict[str, str]) -> None:
    error(
        await api.post("/v1/me/phone", json={"phone": "+0 12 abc 4567"}, headers=auth),
        422,
        "invalid_phone",
    )
    error(
        await api.post("/v1/me/phone/verify", json={"code": "12345"}, headers=auth),
        422,
        "validation_error",
    )
    error(await api.post("/v1/me/phone", json={"phone": PHONE}), 401, "unauthorized")


def test_normalise_phone() -> None:
    assert normalise_phone("+234 803 123 4567") == PHONE
    assert normalise_phone("002348031234567") == PHONE
    assert normalise_phone("2348031234567") == PHONE
    assert normalise_phone("(0803) 123-4567") == PHONE
    assert normalise_phone("07911 123456", "44") == "+447911123456"
    for bad in ("", "+", "080", "+0803123", "+23480312345678901"):
        with pytest.raises(Unprocessable):
            normalise_phone(bad)


async def test_the_code_arrives_by_sms_through_the_sandbox(
    db_url: str, sessions: async_sessionmaker[AsyncSession], messaging: Messaging
) -> None:
    settings = messaging_settings(db_url, messaging)
    async with api_client(settings) as api:
        auth = await register_and_login(api, "bola@example.com")
        data(await api.post("/v1/me/phone", json={"phone": PHONE}, headers=auth), 202)
        assert await drain(sessions, settings) == 1
        [sms] = await messaging.inbox(to=PHONE)
        assert sms["provider"] == "termii" and sms["channel"] == "sms"
        code = sms["body"].split("code is ")[1][:6]
        assert (await latest_context(sessions, "identity.phone_code") or {})["code"] != code
        data(await api.post("/v1/me/phone/verify", json={"code": code}, headers=auth))
