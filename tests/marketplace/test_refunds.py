"""Refunds by an admin (fresh TOTP): a paid order cancelled (holds voided), a completed one
within clearance (pending earnings clawed back), and not after clearance."""

from __future__ import annotations

from datetime import timedelta

import httpx

from kro.kit.clock import utcnow
from kro.marketplace import timers
from tests.escrow.test_disputes import enrolled_admin
from tests.marketplace.conftest import Market
from tests.support.api import data, error

ADMIN = "/v1/admin/marketplace/orders"


async def test_admin_cancels_a_paid_order(market: Market, http: httpx.AsyncClient) -> None:
    await market.start()
    admin = await enrolled_admin(http)
    url = f"{ADMIN}/{market.id}/cancel"
    error(
        await http.post(url, json={"reason": "both agree"}, headers=admin.headers),
        403,
        "totp_required",
    )
    assert (await market.get())["status"] == "in_progress"
    body = {"reason": "both agree", "totp_code": admin.code()}
    order = data(await http.post(url, json=body, headers=admin.headers))
    assert order["status"] == "cancelled" and order["refunded"] == order["buyer_pays"]


async def test_refund_within_clearance_claws_back(market: Market, http: httpx.AsyncClient) -> None:
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    share = (await market.post("accept", "buyer"))["seller_earns"]
    assert (await market.earnings())["pending_clearance"] == share
    admin = await enrolled_admin(http)
    body = {"reason": "chargeback", "totp_code": admin.code()}
    order = data(await http.post(f"{ADMIN}/{market.id}/refund", json=body, headers=admin.headers))
    assert (order["status"], order["earning_status"]) == ("refunded", "clawed_back")
    assert await market.earnings() == {"currency": "NGN", "pending_clearance": 0, "available": 0}
    # The clawed-back earning never clears.
    async with market.sessions() as session:
        assert await timers.clear_earnings(session, utcnow() + timedelta(days=15)) == 0
        await session.commit()


async def test_no_refund_after_clearance(market: Market, http: httpx.AsyncClient) -> None:
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    await market.post("accept", "buyer")
    async with market.sessions() as session:
        assert await timers.clear_earnings(session, utcnow() + timedelta(days=15)) == 1
        await session.commit()
    admin = await enrolled_admin(http)
    body = {"reason": "too late", "totp_code": admin.code()}
    r = await http.post(f"{ADMIN}/{market.id}/refund", json=body, headers=admin.headers)
    error(r, 409, "clearance_over")
    assert (await market.get())["status"] == "completed"
