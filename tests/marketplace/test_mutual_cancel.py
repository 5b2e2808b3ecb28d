"""Mutual cancellation: either party asks, the other agrees (full refund) or declines; an
unanswered request is accepted by the timer after 48 h — once, and not after the state
moved; while it waits the order does not complete by itself. Authorization and bad input."""

from __future__ import annotations

from datetime import timedelta

import httpx

from kro.kit.clock import utcnow
from kro.marketplace import timers
from kro.settings import Settings
from tests.marketplace.conftest import PREFIX, Market
from tests.support.api import error, register_and_login
from tests.support.platform import Platform

REASON = {"reason": "Plans changed"}


async def _unanswered(market: Market, settings: Settings, after: timedelta) -> int:
    async with market.sessions() as session:
        done = await timers.cancel_unanswered(session, settings, utcnow() + after)
        await session.commit()
    return done


async def test_buyer_asks_seller_agrees(market: Market, http: httpx.AsyncClient) -> None:
    await market.start()
    order = await market.post("cancellation", "buyer", REASON)
    assert order["cancellation"]["requested_by"] == "buyer"
    assert "agree_cancellation" not in order["actions"]
    seller_view = await market.get("seller")
    assert {"agree_cancellation", "decline_cancellation"} <= set(seller_view["actions"])
    error(
        await http.post(f"{PREFIX}/orders/{market.id}/cancellation/accept", headers=market.buyer),
        403,
    )
    error(
        await http.post(
            f"{PREFIX}/orders/{market.id}/cancellation", json=REASON, headers=market.seller
        ),
        409,
        "cancellation_pending",
    )
    order = await market.post("cancellation/accept", "seller")
    assert order["status"] == "cancelled" and order["refunded"] == order["buyer_pays"]
    assert order["transitions"][-1]["action"] == "agree_cancellation"
    assert (await market.earnings())["pending_clearance"] == 0


async def test_seller_asks_buyer_declines(
    market: Market, http: httpx.AsyncClient, platform: Platform
) -> None:
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    await market.post("cancellation", "seller", REASON)
    # While the request waits, the order does not complete by itself.
    async with market.sessions() as session:
        now = utcnow() + timedelta(days=3, seconds=1)
        assert await timers.auto_complete(session, platform.settings, now) == 0
        await session.commit()
    order = await market.post("cancellation/decline", "buyer")
    assert (order["status"], order["cancellation"]) == ("delivered", None)
    error(
        await http.post(f"{PREFIX}/orders/{market.id}/cancellation/decline", headers=market.buyer),
        409,
        "no_cancellation_request",
    )
    # Declined: the timer has nothing to accept, however late.
    assert await _unanswered(market, platform.settings, timedelta(days=3)) == 0
    order = await market.post("accept", "buyer")
    assert order["status"] == "completed"


async def test_unanswered_request_is_accepted_after_48_hours(
    market: Market, platform: Platform
) -> None:
    await market.start()
    await market.post("cancellation", "buyer", REASON)
    assert await _unanswered(market, platform.settings, timedelta(hours=47)) == 0
    assert await _unanswered(market, platform.settings, timedelta(hours=48, seconds=1)) == 1
    order = await market.get()
    assert order["status"] == "cancelled" and order["refunded"] == order["buyer_pays"]
    assert order["transitions"][-1]["action"] == "cancellation_timeout"
    assert await _unanswered(market, platform.settings, timedelta(hours=49)) == 0


async def test_timer_after_the_order_completed_does_nothing(
    market: Market, platform: Platform
) -> None:
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    await market.post("cancellation", "seller", REASON)
    await market.post("accept", "buyer")  # the buyer accepts the work instead
    assert await _unanswered(market, platform.settings, timedelta(days=3)) == 0
    assert (await market.get())["status"] == "completed"


async def test_cancellation_authorization_and_bad_input(
    market: Market, http: httpx.AsyncClient
) -> None:
    await market.place()
    url = f"{PREFIX}/orders/{market.id}/cancellation"
    error(await http.post(url, json=REASON, headers=market.buyer), 409, "invalid_state_transition")
    stranger = await register_and_login(http, "cancel-stranger@example.com")
    error(await http.post(url, json=REASON, headers=stranger), 404, "order_not_found")
    error(await http.post(f"{url}/accept", headers=stranger), 404, "order_not_found")
    r = await http.post(url, json={"reason": ""}, headers=market.buyer)
    assert r.status_code == 422
    r = await http.post(f"{url}/maybe", headers=market.buyer)
    assert r.status_code in (404, 422)
