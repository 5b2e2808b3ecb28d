"""A paid escrow order is never left unfunded (issue 8): an early, unconfirmed ``charge.success``
never blocks the genuine one, and a payment whose webhook never arrives is settled by the sweep
of open payments. Over real HTTP against the platform and its Paystack sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs.service import enqueue
from kro.kit.clock import clock, utcnow
from kro.kit.db import unit_of_work
from kro.payments.models import Payment, PaymentEvent, WebhookEvent
from tests.escrow.conftest import Deal, assert_ledger_ok
from tests.support.api import register_and_login
from tests.support.platform import eventually, run_platform, sandbox_pay


async def _events(sessions: async_sessionmaker[AsyncSession]) -> list[WebhookEvent]:
    async with sessions() as s:
        return list(await s.scalars(select(WebhookEvent)))


async def test_paid_after_an_unconfirmed_charge_success_is_funded(
    deal: Deal, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Paystack signs a ``charge.success`` for our reference while its verify still says the
    charge is not paid; it is processed and changes nothing. The buyer then pays at the
    hosted checkout and Paystack sends the genuine ``charge.success`` — same event, same
    inbox key. It is processed again (the payment is still open) and the order is funded."""
    await deal.create()
    await deal.act("accept", "seller")
    checkout = await deal.checkout()
    r = await http.post(
        "/sandbox/paystack/_sandbox/webhooks/charge-success",
        json={"reference": checkout["reference"]},
    )
    assert r.status_code == 200, r.text

    async def first_processed() -> WebhookEvent | None:
        rows = [e for e in await _events(sessions) if e.status != "received"]
        return rows[0] if rows else None

    early = await eventually(first_processed)
    assert early.status == "processed" and "no change" in (early.outcome or "")
    assert (await deal.get())["status"] == "accepted"

    await sandbox_pay(http, checkout["authorization_url"])
    await eventually(lambda: deal._status_is("funded"))  # well before the 30 s re-check
    [event] = await _events(sessions)
    assert (event.id, event.deliveries, event.status) == (early.id, 2, "processed")
    assert "completed" in (event.outcome or "")
    await assert_ledger_ok(sessions)


@pytest.fixture
async def deaf_deal(
    db_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Deal]:
    """A deal on a platform whose Paystack webhooks never arrive (sent to a closed port)."""
    sandbox_db = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sandbox')}/paystack.db"
    with run_platform(
        db_url, sandbox_db, sandbox_webhook_url="http://127.0.0.1:9/v1/webhooks/paystack"
    ) as platform:
        async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as http:
            buyer = await register_and_login(http, "deaf-buyer@example.com")
            seller = await register_and_login(http, "deaf-seller@example.com")
            yield Deal(http, buyer, seller, "deaf-seller@example.com")
    await assert_ledger_ok(sessions)


async def test_payment_whose_webhook_never_arrives_is_settled_by_the_sweep(
    deaf_deal: Deal, sessions: async_sessionmaker[AsyncSession]
) -> None:
    deal = deaf_deal
    await deal.create()
    await deal.act("accept", "seller")
    checkout = await deal.checkout()
    await sandbox_pay(deal.http, checkout["authorization_url"])
    assert (await deal.get())["status"] == "accepted"  # no webhook: nothing yet
    assert await _events(sessions) == []

    clock.advance(timedelta(minutes=2))  # the sweep leaves checkouts younger than a minute
    async with unit_of_work(sessions) as s:
        start = utcnow().replace(second=0, microsecond=0)
        await enqueue(
            s,
            "payments.reconcile_open",
            {"slot": 1, "scheduled_for": start.isoformat().replace("+00:00", "Z")},
        )
    await eventually(lambda: deal._status_is("funded"))
    async with sessions() as s:
        payment = await s.scalar(select(Payment).where(Payment.reference == checkout["reference"]))
        assert payment is not None and payment.status == "completed"
        actors = {e.actor for e in await s.scalars(select(PaymentEvent))}
    # Settled by the sweep's verification, or by the periodic reconciliation when the clock's
    # jump let it run first: either way from Paystack's word, with no webhook.
    assert actors & {"verification", "reconciliation"}, actors
