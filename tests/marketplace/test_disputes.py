"""Disputes: timers stop while an order is disputed; an admin with a fresh TOTP splits,
completes or cancels; a dispute on a completed order freezes its clearance. The ledger
invariant after each (``platform`` fixture)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from kro.kit.clock import utcnow
from kro.marketplace import timers
from tests.escrow.test_disputes import enrolled_admin
from tests.marketplace.conftest import PREFIX, Market
from tests.support.api import data, error
from tests.support.platform import Platform

RESOLVE = "/v1/admin/marketplace/orders/{}/resolve"


async def test_split_after_the_timers_were_frozen(
    market: Market, http: httpx.AsyncClient, platform: Platform
) -> None:
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    order = await market.post("dispute", "seller", {"reason": "The buyer will not answer"})
    assert order["status"] == "disputed" and "dispute" not in order["actions"]
    async with market.sessions() as session:
        later = utcnow() + timedelta(days=31)
        assert await timers.auto_complete(session, platform.settings, later) == 0
        assert await timers.enforce_hard_limit(session, later) == 0
        await session.commit()
    chat = data(await http.get("/v1/conversations", headers=market.buyer))
    assert chat[0]["unread"] == 1
    admin = await enrolled_admin(http)
    share = order["seller_earns"]
    body = {
        "outcome": "split",
        "note": "half done",
        "seller_amount": share,
        "totp_code": admin.code(),
    }
    url = RESOLVE.format(market.id)
    error(await http.post(url, json=body, headers=admin.headers), 422, "invalid_split")
    body = {**body, "seller_amount": share // 2}  # the refused request did not use the code
    order = data(await http.post(url, json=body, headers=admin.headers))
    assert order["status"] == "completed" and order["refunded"] == share - share // 2
    assert (await market.earnings())["pending_clearance"] == share // 2
    async with market.sessions() as session:
        assert await timers.clear_earnings(session, utcnow() + timedelta(days=15)) == 1
        await session.commit()
    assert (await market.earnings())["available"] == share // 2


async def test_a_dispute_freezes_clearance(market: Market, http: httpx.AsyncClient) -> None:
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    await market.post("accept", "buyer")
    order = await market.post("dispute", "buyer", {"reason": "The files are corrupt"})
    assert order["status"] == "completed" and order["earning_status"] == "frozen"
    async with market.sessions() as session:
        assert await timers.clear_earnings(session, utcnow() + timedelta(days=15)) == 0
        await session.commit()
    admin = await enrolled_admin(http)
    body = {"outcome": "cancel", "note": "corrupt files", "totp_code": admin.code()}
    order = data(await http.post(RESOLVE.format(market.id), json=body, headers=admin.headers))
    assert (order["status"], order["earning_status"]) == ("refunded", "clawed_back")
    assert await market.earnings() == {"currency": "NGN", "pending_clearance": 0, "available": 0}


async def test_cancel_and_complete(market: Market, http: httpx.AsyncClient) -> None:
    await market.start()
    await market.post("dispute", "buyer", {"reason": "No contact from the seller"})
    admin = await enrolled_admin(http)
    url = RESOLVE.format(market.id)
    error(
        await http.post(url, json={"outcome": "cancel", "note": "no code"}, headers=admin.headers),
        403,
        "totp_required",
    )
    body = {"outcome": "cancel", "note": "seller absent", "totp_code": admin.code()}
    order = data(await http.post(url, json=body, headers=admin.headers))
    assert order["status"] == "cancelled" and order["refunded"] == order["buyer_pays"]
    error(
        await http.post(
            f"{PREFIX}/orders/{market.id}/dispute", json={"reason": "again"}, headers=market.buyer
        ),
        409,
    )
