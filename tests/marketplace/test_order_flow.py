"""An order's life through the API with the money at each step: checkout at the sandbox,
holds in escrow, revision, completion into pending clearance, clearance into the wallet,
cancellation and refund; object-level authorization. The ledger invariant is checked after
each test by the ``platform`` fixture."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from kro.kit.clock import utcnow
from kro.marketplace import timers
from kro.notifications.models import Notification
from tests.marketplace.conftest import BASIC, PREFIX, Market
from tests.support.api import data, error, register_and_login


async def test_happy_path_with_a_revision(market: Market, http: httpx.AsyncClient) -> None:
    found = data(await http.get(f"{PREFIX}/services", params={"q": "logo branding"}))
    assert [s["id"] for s in found] == [market.service["id"]]
    assert data(await http.get(f"{PREFIX}/services", params={"q": "plumbing"})) == []
    order = await market.place()
    fee = (BASIC * 550 + 5_000) // 10_000
    assert (order["status"], order["price"], order["service_fee"]) == ("pending", BASIC, fee)
    assert order["buyer_pays"] == BASIC + fee and order["seller_earns"] == BASIC * 80 // 100
    await market.pay()
    error(
        await http.post(
            f"{PREFIX}/orders/{market.id}/requirements", json={"answers": []}, headers=market.buyer
        ),
        422,
        "requirements_missing",
    )
    order = await market.post("requirements", "buyer", {"answers": ["Kola Foods"]})
    assert order["status"] == "in_progress" and order["due_at"]
    order = await market.post("deliver", "seller", {"message": "Here is v1"})
    assert order["status"] == "delivered" and order["auto_complete_at"]
    order = await market.post("revision", "buyer", {"message": "Bigger, please"})
    assert (order["status"], order["revisions_used"], order["auto_complete_at"]) == (
        "in_progress",
        1,
        None,
    )
    await market.post("deliver", "seller", {"message": "Here is v2"})
    error(
        await http.post(
            f"{PREFIX}/orders/{market.id}/revision", json={"message": "More"}, headers=market.buyer
        ),
        409,
        "no_revisions_left",
    )
    order = await market.post("accept", "buyer")
    assert order["status"] == "completed" and order["earning_status"] == "pending"
    assert [d["kind"] for d in order["deliveries"]] == ["delivery", "revision", "delivery"]
    share = order["seller_earns"]
    assert await market.earnings() == {
        "currency": "NGN",
        "pending_clearance": share,
        "available": 0,
    }
    # Clearance: nothing before the period ends, everything after; twice changes nothing.
    async with market.sessions() as session:
        assert await timers.clear_earnings(session, utcnow()) == 0
        later = utcnow() + timedelta(days=14, seconds=1)
        assert await timers.clear_earnings(session, later) == 1
        assert await timers.clear_earnings(session, later) == 0
        await session.commit()
    assert await market.earnings() == {
        "currency": "NGN",
        "pending_clearance": 0,
        "available": share,
    }
    wallet = data(await http.get("/v1/wallet", headers=market.seller))
    assert wallet[0]["available"] == share
    # Each party was emailed about the steps that concern them, once each.
    async with market.sessions() as session:
        rows = await session.execute(
            select(Notification.context).where(Notification.event == "marketplace.order_updated")
        )
        headlines = sorted(c["headline"] for c in rows.scalars())
    assert headlines.count("the seller delivered") == 2
    assert headlines.count("the order is paid") == 2
    assert "the buyer accepted the delivery" in headlines


async def test_other_users_get_404(market: Market, http: httpx.AsyncClient) -> None:
    await market.place()
    stranger = await register_and_login(http, "stranger@example.com")
    error(await http.get(f"{PREFIX}/orders/{market.id}", headers=stranger), 404, "order_not_found")
    for action in ("pay", "cancel", "accept"):
        r = await http.post(f"{PREFIX}/orders/{market.id}/{action}", headers=stranger)
        error(r, 404, "order_not_found")
    error(
        await http.post(
            f"{PREFIX}/services/{market.service['id']}/status",
            json={"status": "paused"},
            headers=stranger,
        ),
        404,
        "service_not_found",
    )
    assert data(await http.get(f"{PREFIX}/orders", headers=stranger)) == []
    # The seller may not act for the buyer, nor buy their own service.
    error(await http.post(f"{PREFIX}/orders/{market.id}/cancel", headers=market.seller), 403)
    own = {"service_id": market.service["id"], "package_id": market.service["packages"][0]["id"]}
    error(
        await http.post(f"{PREFIX}/orders", json=own, headers=market.seller), 422, "buyer_is_seller"
    )


async def test_cancel_unpaid_and_bad_input(market: Market, http: httpx.AsyncClient) -> None:
    await market.place()
    order = await market.post("cancel", "buyer")
    assert order["status"] == "cancelled"
    error(await http.post(f"{PREFIX}/orders/{market.id}/pay", headers=market.buyer), 409)
    bad = {"service_id": market.service["id"], "package_id": "pkg_nope"}
    error(await http.post(f"{PREFIX}/orders", json=bad, headers=market.buyer), 404)
    no_packages = {**market.service, "packages": []}
    r = await http.post(f"{PREFIX}/services", json=no_packages, headers=market.seller)
    assert r.status_code == 422
    twice = {
        "category_id": market.category_id,
        "title": "Twice the basic",
        "description": "Two packages of the same tier are refused.",
        "packages": [
            {"tier": "basic", "name": "A", "price": 100, "delivery_days": 1, "revisions": 0},
            {"tier": "basic", "name": "B", "price": 200, "delivery_days": 1, "revisions": 0},
        ],
    }
    error(
        await http.post(f"{PREFIX}/services", json=twice, headers=market.seller),
        422,
        "invalid_packages",
    )
    rows = data(await http.get(f"{PREFIX}/services", params={"q": "twice"}))
    assert rows == []  # nothing half-written
