"""The order timers as the periodic jobs run them (called here with a ``now`` in the
future): each fires once, and a timer whose order moved first does nothing. Money at each
step; the ledger invariant after each test (``platform`` fixture)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from kro.kit.clock import utcnow
from kro.marketplace import orders, timers
from kro.settings import Settings
from tests.marketplace.conftest import PREFIX, Market
from tests.support.api import data, error
from tests.support.platform import Platform


async def _run(market: Market, timer: str, after: timedelta, settings: Settings) -> int:
    now = utcnow() + after
    async with market.sessions() as session:
        if timer == "auto_complete":
            done = await timers.auto_complete(session, settings, now)
        elif timer == "hard_limit":
            done = await timers.enforce_hard_limit(session, now)
        elif timer == "expire_unpaid":
            done = await timers.expire_unpaid(session, now)
        elif timer == "mark_late":
            done = await timers.mark_late(session, now)
        else:
            done = await timers.clear_earnings(session, now)
        await session.commit()
    return done


async def test_auto_complete_three_days_after_the_last_delivery(
    market: Market, platform: Platform
) -> None:
    settings = platform.settings
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    await market.post("revision", "buyer", {"message": "again"})
    # The revision stopped the clock: nothing fires, however late.
    assert await _run(market, "auto_complete", timedelta(days=10), settings) == 0
    await market.post("deliver", "seller", {"message": "v2"})
    assert await _run(market, "auto_complete", timedelta(days=2), settings) == 0
    assert await _run(market, "auto_complete", timedelta(days=3, seconds=1), settings) == 1
    order = await market.get()
    assert order["status"] == "completed" and order["earning_status"] == "pending"
    assert order["transitions"][-1]["action"] == "auto_complete"
    # Fired once; and the hard limit no longer applies to a completed order.
    assert await _run(market, "auto_complete", timedelta(days=4), settings) == 0
    assert await _run(market, "hard_limit", timedelta(days=31), settings) == 0
    assert (await market.earnings())["pending_clearance"] == order["seller_earns"]


async def test_a_timer_after_the_buyer_accepted_does_nothing(
    market: Market, platform: Platform
) -> None:
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    await market.post("accept", "buyer")
    assert await _run(market, "auto_complete", timedelta(days=4), platform.settings) == 0
    transitions = [t["action"] for t in (await market.get())["transitions"]]
    assert transitions.count("accept") == 1 and "auto_complete" not in transitions


async def test_late_order_cancelled_by_the_buyer_with_a_full_refund(
    market: Market, http: httpx.AsyncClient, platform: Platform
) -> None:
    await market.start()  # basic: 3 days
    error(
        await http.post(f"{PREFIX}/orders/{market.id}/cancel", headers=market.buyer),
        409,
        "order_not_late",
    )
    assert await _run(market, "mark_late", timedelta(days=2), platform.settings) == 0
    assert await _run(market, "mark_late", timedelta(days=3, seconds=1), platform.settings) == 1
    assert (await market.get())["late"] is True
    # The grace of 24 h after the due date: let the order be due long ago.
    async with market.sessions() as session:
        order = await session.get(orders.Order, market.id)
        assert order is not None and order.due_at is not None
        order.due_at = utcnow() - timedelta(days=1, seconds=1)
        await session.commit()
    order = await market.post("cancel", "buyer")
    assert order["status"] == "cancelled" and order["refunded"] == order["buyer_pays"]
    assert (await market.earnings())["pending_clearance"] == 0
    refunds = data(await http.get("/v1/wallet", headers=market.seller))
    assert all(r["available"] == 0 for r in refunds)


async def test_hard_limit_cancels_and_refunds_however_many_revisions(
    market: Market, platform: Platform
) -> None:
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    await market.post("revision", "buyer", {"message": "again"})
    assert await _run(market, "hard_limit", timedelta(days=29), platform.settings) == 0
    assert await _run(market, "hard_limit", timedelta(days=30, seconds=1), platform.settings) == 1
    order = await market.get()
    assert order["status"] == "cancelled" and order["refunded"] == order["buyer_pays"]
    assert order["transitions"][-1]["action"] == "hard_limit"
    assert await _run(market, "hard_limit", timedelta(days=31), platform.settings) == 0


async def test_unpaid_order_expires(market: Market, platform: Platform) -> None:
    await market.place()
    assert await _run(market, "expire_unpaid", timedelta(minutes=59), platform.settings) == 0
    assert await _run(market, "expire_unpaid", timedelta(minutes=61), platform.settings) == 1
    assert (await market.get())["status"] == "cancelled"
