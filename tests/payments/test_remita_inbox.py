"""Remita's payment notifications arrive at the one inbox (``POST /v1/webhooks/remita``),
against the platform under a real server with the Remita simulator mounted: the simulator
posts its unsigned notification when an RRR is paid; each payment it names is stored once and
checked with ``status.reg`` before value moves, so a forged notification changes nothing;
a notification naming no RRR of ours stores nothing; a body that is not one is a 400."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.db import unit_of_work
from kro.ledger import chart
from kro.payments import states
from kro.payments.collect.service import CollectRequest, collect
from kro.payments.models import Payment, WebhookEvent
from tests.support.api import data
from tests.support.platform import Platform, eventually, run_platform

AMOUNT = 12_345_600  # ₦123,456.00


@pytest.fixture
async def platform(
    db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    sandbox_db = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sandbox')}/sandbox.db"
    with run_platform(db_url, sandbox_db) as p:
        yield p


async def _remita_payment(
    sessions: async_sessionmaker[AsyncSession], platform: Platform
) -> Payment:
    async with unit_of_work(sessions) as session:
        account = await chart.ensure_account(session, chart.platform_fees_account("NGN"))
        request = CollectRequest(
            purpose="pensions",
            purpose_id="psch_not_a_schedule",  # the product hears of it and finds nothing
            payer_id=None,
            email="finance@example.com",
            amount=AMOUNT,
            currency="NGN",
            credit_account_id=account.id,
            provider="remita",
            method="remita",
        )
        payment = await collect(session, platform.settings, request)
    assert payment.provider_transaction_id  # the RRR
    return payment


async def _events(sessions: async_sessionmaker[AsyncSession]) -> list[WebhookEvent]:
    async with sessions() as session:
        stmt = select(WebhookEvent).where(WebhookEvent.provider == "remita")
        return list((await session.scalars(stmt)).all())


async def _status(sessions: async_sessionmaker[AsyncSession], payment_id: str) -> str:
    async with sessions() as session:
        payment = await session.get(Payment, payment_id)
        assert payment is not None
        return payment.status


async def test_notification_into_the_one_inbox(
    platform: Platform, sessions: async_sessionmaker[AsyncSession]
) -> None:
    payment = await _remita_payment(sessions, platform)
    rrr = payment.provider_transaction_id
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as http:
        # Forged: Remita's status says unpaid, so nothing moves (the event is processed).
        forged = [{"rrr": rrr, "amount": "1.00", "channnel": "BRANCH", "orderRef": "x"}]
        assert data(await http.post("/v1/webhooks/remita", json=forged)) == {
            "received": 1,
            "ours": 1,
        }

        async def processed() -> bool:
            return any(e.status != "received" for e in await _events(sessions))

        await eventually(processed)
        assert await _status(sessions, payment.id) == states.REQUIRES_ACTION
        # Not ours: nothing stored. Not a notification: 400 with a code.
        stranger = [{"rrr": "999999999999", "amount": "5.00"}]
        assert data(await http.post("/v1/webhooks/remita", json=stranger))["ours"] == 0
        bad = await http.post("/v1/webhooks/remita", content=b"[{}]")
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
        assert len(await _events(sessions)) == 1
        # Paid at a bank: the simulator posts its notification; the status check confirms.
        r = await http.post(f"/sandbox/remita/_sandbox/rrr/{rrr}/pay")
        assert r.status_code == 200

    async def completed() -> bool:
        return await _status(sessions, payment.id) == states.COMPLETED

    await eventually(completed)

    async def delivered_twice() -> bool:
        events = await _events(sessions)
        return len(events) == 1 and events[0].deliveries == 2 and events[0].status == "processed"

    await eventually(delivered_twice)  # the simulator's notification reached the same row
