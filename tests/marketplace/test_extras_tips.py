"""Extras (chosen when ordering, bought mid-order through their own checkout) and tips after
completion, with the money at each step: held with the order, posted with its completion,
refunded with its cancellation, clawed back with its refund; tips into pending clearance.
Bad input and object-level authorization. The ledger invariant after each test."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from kro.kit.clock import utcnow
from kro.marketplace import timers
from tests.escrow.test_disputes import enrolled_admin
from tests.marketplace.conftest import BASIC, PREFIX, Market
from tests.support.api import data, error, register_and_login
from tests.support.platform import eventually, sandbox_pay

FAST = {"title": "Delivery in one day", "price": 1_000_000, "extra_days": -2}
REVISION = {"title": "One more revision", "price": 500_000, "extra_revisions": 1}


def fee(price: int) -> int:
    return (price * 550 + 5_000) // 10_000


async def with_extras(market: Market) -> dict[str, str]:
    """Add the two extras to the market's service; their ids by title."""
    url = f"{PREFIX}/services/{market.service['id']}/extras"
    market.service = data(
        await market.http.post(url, json={"extras": [FAST, REVISION]}, headers=market.seller), 201
    )
    return {e["title"]: e["id"] for e in market.service["extras"]}


async def buy(market: Market, extra_id: str) -> dict[str, Any]:
    """Buy an extra mid-order at the sandbox checkout; the order once the extra is held."""
    url = f"{PREFIX}/orders/{market.id}/extras"
    checkout = data(
        await market.http.post(url, json={"extra_id": extra_id}, headers=market.buyer), 201
    )
    await sandbox_pay(market.http, checkout["authorization_url"])

    async def held() -> bool:
        order = await market.get()
        return any(
            e["id"] == checkout["purchase_id"] and e["status"] == "held" for e in order["extras"]
        )

    await eventually(held)
    # Read again: on PostgreSQL (read committed) the read that saw the extra held may have
    # read the order's row just before the payment's job committed.
    return await market.get()


async def test_extras_chosen_when_ordering(market: Market, http: httpx.AsyncClient) -> None:
    ids = await with_extras(market)
    service = data(await http.get(f"{PREFIX}/services/{market.service['id']}"))
    assert [e["price"] for e in service["extras"]] == [REVISION["price"], FAST["price"]]
    basic = market.service["packages"][0]
    body = {
        "service_id": market.service["id"],
        "package_id": basic["id"],
        "extra_ids": [ids[FAST["title"]], ids[REVISION["title"]]],
    }
    market.order = data(await http.post(f"{PREFIX}/orders", json=body, headers=market.buyer), 201)
    price = BASIC + FAST["price"] + REVISION["price"]
    order = market.order
    assert (order["price"], order["service_fee"], order["buyer_pays"]) == (
        price,
        fee(price),
        price + fee(price),
    )
    assert (order["delivery_days"], order["revisions_allowed"]) == (1, 2)
    assert {e["status"] for e in order["extras"]} == {"included"}
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    order = await market.post("accept", "buyer")
    assert (await market.earnings())["pending_clearance"] == price - price * 20 // 100
    assert order["seller_earns"] == price - price * 20 // 100


async def test_extra_bought_mid_order_is_paid_with_completion(
    market: Market, http: httpx.AsyncClient
) -> None:
    ids = await with_extras(market)
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    await market.post("revision", "buyer", {"message": "again"})
    await market.post("deliver", "seller", {"message": "v2"})
    error(
        await http.post(
            f"{PREFIX}/orders/{market.id}/revision", json={"message": "More"}, headers=market.buyer
        ),
        409,
        "no_revisions_left",
    )
    order = await buy(market, ids[REVISION["title"]])
    extra = order["extras"][0]
    assert (extra["price"], extra["service_fee"], extra["commission"]) == (
        REVISION["price"],
        fee(REVISION["price"]),
        REVISION["price"] * 20 // 100,
    )
    assert order["revisions_allowed"] == 2 and order["status"] == "delivered"
    assert order["transitions"][-1]["action"] == "add_extra"
    await market.post("revision", "buyer", {"message": "one more, paid for"})
    await market.post("deliver", "seller", {"message": "v3"})
    order = await market.post("accept", "buyer")
    assert order["extras"][0]["status"] == "released"
    share = BASIC * 80 // 100 + REVISION["price"] * 80 // 100
    assert await market.earnings() == {
        "currency": "NGN",
        "pending_clearance": share,
        "available": 0,
    }
    async with market.sessions() as session:
        assert await timers.clear_earnings(session, utcnow() + timedelta(days=15)) == 1
        await session.commit()
    assert await market.earnings() == {
        "currency": "NGN",
        "pending_clearance": 0,
        "available": share,
    }


async def test_cancelled_order_refunds_its_extras(market: Market, http: httpx.AsyncClient) -> None:
    ids = await with_extras(market)
    await market.start()
    order = await buy(market, ids[FAST["title"]])
    assert order["delivery_days"] == 1
    admin = await enrolled_admin(http)
    body = {"reason": "both agree", "totp_code": admin.code()}
    url = f"/v1/admin/marketplace/orders/{market.id}/cancel"
    order = data(await http.post(url, json=body, headers=admin.headers))
    extra_pays = FAST["price"] + fee(FAST["price"])
    assert order["status"] == "cancelled" and order["extras"][0]["status"] == "refunded"
    assert order["refunded"] == order["buyer_pays"] + extra_pays
    assert (await market.earnings())["pending_clearance"] == 0


async def test_refund_after_completion_claws_back_extras(
    market: Market, http: httpx.AsyncClient
) -> None:
    ids = await with_extras(market)
    await market.start()
    await buy(market, ids[REVISION["title"]])
    await market.post("deliver", "seller", {"message": "v1"})
    await market.post("accept", "buyer")
    admin = await enrolled_admin(http)
    body = {"reason": "chargeback", "totp_code": admin.code()}
    url = f"/v1/admin/marketplace/orders/{market.id}/refund"
    order = data(await http.post(url, json=body, headers=admin.headers))
    assert (order["status"], order["extras"][0]["status"]) == ("refunded", "refunded")
    assert order["refunded"] == order["buyer_pays"] + REVISION["price"] + fee(REVISION["price"])
    assert await market.earnings() == {"currency": "NGN", "pending_clearance": 0, "available": 0}


async def test_extras_bad_input_and_other_users(market: Market, http: httpx.AsyncClient) -> None:
    ids = await with_extras(market)
    stranger = await register_and_login(http, "extras-stranger@example.com")
    url = f"{PREFIX}/services/{market.service['id']}/extras"
    error(await http.post(url, json={"extras": [FAST]}, headers=stranger), 404, "service_not_found")
    too_fast = {"title": "Yesterday", "price": 100, "extra_days": -3}
    error(
        await http.post(url, json={"extras": [too_fast]}, headers=market.seller),
        422,
        "invalid_extras",
    )
    basic = market.service["packages"][0]["id"]
    order = {"service_id": market.service["id"], "package_id": basic}
    twice = {**order, "extra_ids": [ids[FAST["title"]]] * 2}
    error(
        await http.post(f"{PREFIX}/orders", json=twice, headers=market.buyer), 422, "invalid_extras"
    )
    unknown = {**order, "extra_ids": ["sxt_nope"]}
    error(
        await http.post(f"{PREFIX}/orders", json=unknown, headers=market.buyer),
        404,
        "extra_not_found",
    )
    assert data(await http.get(f"{PREFIX}/orders", headers=market.buyer)) == []  # nothing written
    await market.place()
    buy_url = f"{PREFIX}/orders/{market.id}/extras"
    extra = {"extra_id": ids[FAST["title"]]}
    error(await http.post(buy_url, json=extra, headers=market.buyer), 409, "purchase_not_allowed")
    error(await http.post(buy_url, json=extra, headers=stranger), 404, "order_not_found")
    error(await http.post(buy_url, json=extra, headers=market.seller), 403)
    tip_url = f"{PREFIX}/orders/{market.id}/tip"
    error(await http.post(tip_url, json={"amount": 10_000}, headers=stranger), 404)
    error(
        await http.post(tip_url, json={"amount": 10_000}, headers=market.buyer),
        409,
        "purchase_not_allowed",
    )
    r = await http.post(tip_url, json={"amount": -5}, headers=market.buyer)
    assert r.status_code == 422


async def test_tip_after_completion_clears_to_the_seller(
    market: Market, http: httpx.AsyncClient
) -> None:
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    share = (await market.post("accept", "buyer"))["seller_earns"]
    url = f"{PREFIX}/orders/{market.id}/tip"
    checkout = data(await http.post(url, json={"amount": 200_000}, headers=market.buyer), 201)
    assert checkout["amount"] == 200_000  # no service fee on a tip
    await sandbox_pay(http, checkout["authorization_url"])

    async def credited() -> bool:
        tips = (await market.get())["tips"]
        return bool(tips) and tips[0]["status"] == "clearing"

    await eventually(credited)
    tip = market.order["tips"][0]
    assert tip["seller_earns"] == 200_000  # all of it: the default cut is none
    assert (await market.earnings())["pending_clearance"] == share + 200_000
    async with market.sessions() as session:
        assert await timers.clear_tips(session, utcnow() + timedelta(days=13)) == 0
        later = utcnow() + timedelta(days=14, seconds=1)
        assert await timers.clear_tips(session, later) == 1
        assert await timers.clear_tips(session, later) == 0
        await timers.clear_earnings(session, later)
        await session.commit()
    assert await market.earnings() == {
        "currency": "NGN",
        "pending_clearance": 0,
        "available": share + 200_000,
    }


async def test_an_extra_paid_after_the_order_ended_is_given_back(
    market: Market, http: httpx.AsyncClient
) -> None:
    ids = await with_extras(market)
    await market.start()
    url = f"{PREFIX}/orders/{market.id}/extras"
    checkout = data(
        await http.post(url, json={"extra_id": ids[FAST["title"]]}, headers=market.buyer), 201
    )
    admin = await enrolled_admin(http)
    body = {"reason": "both agree", "totp_code": admin.code()}
    cancel = f"/v1/admin/marketplace/orders/{market.id}/cancel"
    order = data(await http.post(cancel, json=body, headers=admin.headers))
    assert order["extras"][0]["status"] == "pending"  # not paid: nothing to give back yet
    await sandbox_pay(http, checkout["authorization_url"])

    async def refunded() -> bool:
        return (await market.get())["extras"][0]["status"] == "refunded"

    await eventually(refunded)
    order = await market.get()
    assert order["refunded"] == order["buyer_pays"] + FAST["price"] + fee(FAST["price"])
    assert order["delivery_days"] == 3  # the order's terms never changed
