"""The order page's new forms through plain HTTP with cookie sessions: the buyer asks to
cancel (a reason is required), the seller sees the answers and declines; the buyer buys an
extra (to the hosted checkout); a stranger gets the 404 page; a bad purchase kind is 404."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.giving.console import post_form, repeated_ids, sign_in
from tests.marketplace.conftest import PREFIX, Market
from tests.marketplace.test_extras_tips import with_extras
from tests.support.api import data, register_and_login
from tests.support.platform import Platform

PASSWORD = "correct horse battery"  # tests.support.api.register_and_login's


@asynccontextmanager
async def signed_in(
    platform: Platform, http: httpx.AsyncClient, headers: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    email = data(await http.get("/v1/me", headers=headers))["email"]
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client:
        await sign_in(client, email, PASSWORD)
        yield client


async def test_cancellation_and_an_extra_through_the_order_page(
    market: Market, http: httpx.AsyncClient, platform: Platform
) -> None:
    ids = await with_extras(market)
    await market.start()
    page = f"/market/orders/{market.id}"
    async with signed_in(platform, http, market.buyer) as buyer:
        shown = await buyer.get(page)
        assert "Ask to cancel" in shown.text and "Add an extra" in shown.text
        assert repeated_ids(shown.text) == []
        r = await post_form(buyer, page, f"{page}/cancellation", {"cancel_reason": ""})
        assert r.status_code == 422 and 'id="e-cancel_reason"' in r.text
        assert 'id="e-reason"' not in r.text and repeated_ids(r.text) == []
        fields = {"cancel_reason": "Plans changed"}
        r = await post_form(buyer, page, f"{page}/cancellation", fields)
        assert r.status_code == 303
        shown = await buyer.get(page)
        assert "You asked to cancel" in shown.text and "Agree to cancel" not in shown.text
        r = await post_form(
            buyer, page, f"{page}/buy/extra", {"extra_id": ids["One more revision"]}
        )
        assert r.status_code == 303 and "/sandbox/paystack/" in r.headers["location"]
        r = await post_form(buyer, page, f"{page}/buy/gift", {})
        assert r.status_code == 404
    async with signed_in(platform, http, market.seller) as seller:
        shown = await seller.get(page)
        assert "Agree to cancel" in shown.text and "Add an extra" not in shown.text
        r = await post_form(seller, page, f"{page}/cancellation_decline", {})
        assert r.status_code == 303
    order = data(await http.get(f"{PREFIX}/orders/{market.id}", headers=market.buyer))
    assert (order["status"], order["cancellation"]) == ("in_progress", None)
    assert order["transitions"][-1]["action"] == "decline_cancellation"
    stranger = await register_and_login(http, "order-page-stranger@example.com")
    async with signed_in(platform, http, stranger) as other:
        assert (await other.get(page)).status_code == 404
        r = await post_form(other, "/market", f"{page}/cancellation", {"cancel_reason": "Mine"})
        assert r.status_code == 404
