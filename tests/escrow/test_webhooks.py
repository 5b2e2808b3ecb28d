"""Forged, unknown, under-paid and duplicate Paystack webhooks change nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.ledger.models import LedgerTransfer
from kro.payments.models import Payment, WebhookEvent
from kro.providers.paystack.client import PaystackClient
from kro.providers.paystack.webhooks import compute_signature
from tests.escrow.conftest import AMOUNT, Deal, assert_ledger_ok
from tests.support.api import data, error
from tests.support.platform import SECRET_KEY, Platform, eventually, sandbox_pay


async def _snapshot(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    async with sessions() as s:
        transfers = (await s.execute(select(func.count()).select_from(LedgerTransfer))).scalar_one()
        payments = [(p.id, p.status) for p in (await s.execute(select(Payment))).scalars()]
    return {"transfers": transfers, "payments": payments}


async def _post_event(
    http: httpx.AsyncClient, event: dict[str, Any], key: str = SECRET_KEY
) -> httpx.Response:
    raw = json.dumps(event).encode()
    return await http.post(
        "/v1/webhooks/paystack",
        content=raw,
        headers={
            "content-type": "application/json",
            "x-paystack-signature": compute_signature(raw, key),
        },
    )


async def _processed(
    sessions: async_sessionmaker[AsyncSession], event_id: str
) -> WebhookEvent | None:
    async with sessions() as s:
        row = await s.get(WebhookEvent, event_id)
        return row if row is not None and row.status != "received" else None


async def test_forged_signature_is_rejected_and_stores_nothing(
    deal: Deal, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await deal.create()
    await deal.act("accept", "seller")
    checkout = await deal.checkout()
    event = {
        "event": "charge.success",
        "data": {"reference": checkout["reference"], "amount": AMOUNT, "currency": "NGN"},
    }
    error(await _post_event(http, event, key="sk_test_attacker"), 401, "invalid_signature")
    raw = json.dumps(event).encode()
    error(await http.post("/v1/webhooks/paystack", content=raw), 401, "invalid_signature")
    error(
        await http.post(
            "/v1/webhooks/paystack",
            content=b"not json",
            headers={"x-paystack-signature": compute_signature(b"not json", SECRET_KEY)},
        ),
        400,
    )
    async with sessions() as s:
        assert (await s.execute(select(func.count()).select_from(WebhookEvent))).scalar_one() == 0
    assert (await deal.get())["status"] == "accepted"
    await assert_ledger_ok(sessions)


async def test_unknown_reference_changes_nothing(
    deal: Deal, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await deal.create()
    await deal.fund()
    before = await _snapshot(sessions)
    ack = data(
        await _post_event(
            http,
            {
                "event": "charge.success",
                "data": {"reference": "pay-nobody", "amount": AMOUNT, "currency": "NGN"},
            },
        )
    )
    row = await eventually(lambda: _processed(sessions, ack["event_id"]))
    assert row.status == "ignored" and "unknown reference" in row.outcome
    assert await _snapshot(sessions) == before
    await assert_ledger_ok(sessions)


async def test_lower_amount_webhook_for_an_unpaid_order_changes_nothing(
    deal: Deal,
    http: httpx.AsyncClient,
    platform: Platform,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await deal.create()
    await deal.act("accept", "seller")
    checkout = await deal.checkout()
    before = await _snapshot(sessions)
    # Paystack's own signature over a charge.success that claims ₦100 for our reference.
    r = await http.post(
        f"{platform.sandbox}/_sandbox/webhooks/charge-success",
        json={"reference": checkout["reference"], "amount": 10_000},
    )
    assert r.status_code == 200, r.text

    async def ignored() -> WebhookEvent | None:
        async with sessions() as s:
            row = (await s.execute(select(WebhookEvent))).scalar_one_or_none()
            return row if row is not None and row.status != "received" else None

    row = await eventually(ignored)
    # Paystack's verify says not paid: nothing moves, the payment stays open (asked again).
    assert row.status == "processed" and "(no change)" in (row.outcome or "")
    assert (await deal.get())["status"] == "accepted"
    assert await _snapshot(sessions) == before
    await assert_ledger_ok(sessions)


async def test_verified_amount_lower_than_ours_moves_nothing(
    deal: Deal,
    http: httpx.AsyncClient,
    platform: Platform,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The provider really was paid, but less than we asked for: the payment needs review."""
    await deal.create()
    await deal.act("accept", "seller")
    checkout = await deal.checkout()
    # Make the stored payment expect more than the sandbox transaction carries.
    async with sessions() as s, s.begin():
        payment = (
            await s.execute(select(Payment).where(Payment.reference == checkout["reference"]))
        ).scalar_one()
        payment.amount = AMOUNT + 500_000
    before = await _snapshot(sessions)
    await sandbox_pay(http, checkout["authorization_url"])

    async def reviewed() -> bool:
        async with sessions() as s:
            p = (
                await s.execute(select(Payment).where(Payment.reference == checkout["reference"]))
            ).scalar_one()
            return p.status == "needs_review"

    await eventually(reviewed)
    after = await _snapshot(sessions)
    assert after["transfers"] == before["transfers"]
    assert (await deal.get())["status"] == "accepted"
    async with PaystackClient(platform.sandbox, SECRET_KEY) as client:
        assert (await client.verify_transaction(checkout["reference"])).amount == AMOUNT
    await assert_ledger_ok(sessions)


async def test_odd_but_signed_bodies_get_4xx_or_are_stored_safely(
    deal: Deal, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    long_ref = {
        "event": "charge.success",
        "data": {"reference": "r" * 500, "amount": 1, "currency": "NGN"},
    }
    ack = data(await _post_event(http, long_ref))
    row = await eventually(lambda: _processed(sessions, ack["event_id"]))
    assert row.status == "ignored" and len(row.event_key) <= 200
    assert data(await _post_event(http, long_ref))["duplicate"] is True
    raw = json.dumps({"event": "charge.success", "data": {}}).encode("utf-16")
    r = await http.post(
        "/v1/webhooks/paystack",
        content=raw,
        headers={"x-paystack-signature": compute_signature(raw, SECRET_KEY)},
    )
    error(r, 400)
