"""Double-blind reviews: hidden from the other side until both are in (or the window
closes); the buyer's rating counts on the service; one per side; only completed orders."""

from __future__ import annotations

from datetime import timedelta

import httpx

from kro.kit.clock import utcnow
from kro.marketplace import reviews
from tests.marketplace.conftest import PREFIX, Market
from tests.support.api import data, error


async def test_double_blind(market: Market, http: httpx.AsyncClient) -> None:
    await market.start()
    url = f"{PREFIX}/orders/{market.id}/reviews"
    error(await http.post(url, json={"rating": 5}, headers=market.buyer), 409, "review_not_allowed")
    await market.post("deliver", "seller", {"message": "v1"})
    await market.post("accept", "buyer")
    mine = data(
        await http.post(url, json={"rating": 4, "comment": "Good"}, headers=market.buyer), 201
    )
    assert mine["published"] is False
    assert data(await http.get(url, headers=market.seller)) == []
    error(await http.post(url, json={"rating": 5}, headers=market.buyer), 409)
    service_url = f"{PREFIX}/services/{market.service['id']}"
    assert data(await http.get(f"{service_url}/reviews")) == []
    data(
        await http.post(url, json={"rating": 5, "comment": "Clear brief"}, headers=market.seller),
        201,
    )
    seen = data(await http.get(url, headers=market.seller))
    assert sorted((r["role"], r["published"]) for r in seen) == [("buyer", True), ("seller", True)]
    assert [r["rating"] for r in data(await http.get(f"{service_url}/reviews"))] == [4]
    service = data(await http.get(service_url))
    assert (service["rating"], service["reviews"]) == (4.0, 1)
    # The seller's profile shows the completed order, the rating and the level.
    seller_id = service["seller_id"]
    error(await http.get(f"{PREFIX}/sellers/{seller_id}"), 404)
    profile = {"display_name": "Sola Designs", "headline": "Logos", "skills": ["logo"]}
    data(await http.put(f"{PREFIX}/profile", json=profile, headers=market.seller))
    seller = data(await http.get(f"{PREFIX}/sellers/{seller_id}"))
    assert (seller["display_name"], seller["completed_orders"], seller["rating"]) == (
        "Sola Designs",
        1,
        4.0,
    )
    assert seller["on_time"] == 1.0 and seller["level"] == "new"
    page = await http.get(f"/market/services/{market.service['id']}")
    assert page.status_code == 200 and "Sola Designs" in page.text


async def test_the_window_closing_publishes(market: Market, http: httpx.AsyncClient) -> None:
    await market.start()
    await market.post("deliver", "seller", {"message": "v1"})
    await market.post("accept", "buyer")
    url = f"{PREFIX}/orders/{market.id}/reviews"
    data(await http.post(url, json={"rating": 3}, headers=market.buyer), 201)
    window = 10 * 24 * 3600
    async with market.sessions() as session:
        assert await reviews.publish_due(session, utcnow() + timedelta(days=9), window) == 0
        assert await reviews.publish_due(session, utcnow() + timedelta(days=11), window) == 1
        await session.commit()
    assert [r["published"] for r in data(await http.get(url, headers=market.seller))] == [True]


def test_levels() -> None:
    from kro.marketplace.sellers import level_for

    assert level_for(0, None, None) == "new"
    assert level_for(5, 4.6, 0.95) == "level_one"
    assert level_for(25, 4.6, 0.85) == "new"  # late too often
    assert level_for(25, 4.6, 0.92) == "level_two"
    assert level_for(60, 4.9, 0.97) == "top_rated"
