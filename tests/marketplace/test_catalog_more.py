"""Service images (stored through the storage module, the type read from the bytes), the
services review queue (pending review → approved, or rejected with a reason; suspension),
search by the seller's rating and level, and clearance by seller level."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.clock import utcnow
from kro.marketplace import catalog, sellers
from kro.marketplace.models import Order, Review
from kro.settings import Settings
from tests.escrow.test_disputes import enrolled_admin
from tests.marketplace.conftest import PREFIX, Market, gig
from tests.support.api import data, error, register_and_login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ADMIN = "/v1/admin/marketplace/services"


async def test_images_upload_and_show(market: Market, http: httpx.AsyncClient) -> None:
    url = f"{PREFIX}/services/{market.service['id']}/images"
    image = data(
        await http.post(url, files={"file": ("logo.png", PNG, "image/png")}, headers=market.seller),
        201,
    )
    assert image["content_type"] == "image/png" and image["size"] == len(PNG)
    served = await http.get(image["url"])
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    service = data(await http.get(f"{PREFIX}/services/{market.service['id']}"))
    assert [i["id"] for i in service["images"]] == [image["id"]]
    page = await http.get(f"/market/services/{market.service['id']}")
    assert image["url"] in page.text
    # Another user's service, a file that is not an image (whatever it claims), too many.
    stranger = await register_and_login(http, "images-stranger@example.com")
    error(
        await http.post(url, files={"file": ("a.png", PNG, "image/png")}, headers=stranger),
        404,
        "service_not_found",
    )
    fake = {"file": ("a.png", b"<svg onload=alert(1)>", "image/png")}
    error(await http.post(url, files=fake, headers=market.seller), 422, "image_refused")
    for _ in range(4):
        data(
            await http.post(
                url, files={"file": ("b.png", PNG, "image/png")}, headers=market.seller
            ),
            201,
        )
    sixth = await http.post(url, files={"file": ("c.png", PNG, "image/png")}, headers=market.seller)
    error(sixth, 422, "image_refused")
    error(await http.get(f"{url}/img_nope"), 404, "service_not_found")


async def test_services_review_queue(
    market: Market, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    seller = data(await http.get("/v1/me", headers=market.seller))["id"]
    body = gig(market.category_id, "Brand strategy workshop")
    async with sessions() as session:
        spec = catalog.ServiceSpec(
            **{**body, "packages": [catalog.PackageSpec(**p) for p in body["packages"]]}
        )
        pending = await catalog.create_service(
            session, seller, spec, kyc_to_list=False, review=True
        )
        await session.commit()
    # Not listed, not orderable while it waits.
    assert data(await http.get(f"{PREFIX}/services", params={"q": "workshop"})) == []
    error(await http.get(f"{PREFIX}/services/{pending.id}"), 404)
    admin = await enrolled_admin(http)
    queue = data(await http.get(ADMIN, headers=admin.headers))
    assert [s["id"] for s in queue] == [pending.id]
    assert (await http.get(ADMIN, headers=market.buyer)).status_code in (401, 403)
    url = f"{ADMIN}/{pending.id}"
    error(await http.post(f"{url}/reject", json={}, headers=admin.headers), 422, "reason_required")
    approved = data(await http.post(f"{url}/approve", json={}, headers=admin.headers))
    assert approved["status"] == "active"
    error(
        await http.post(f"{url}/approve", json={}, headers=admin.headers),
        409,
        "service_not_pending_review",
    )
    assert [s["id"] for s in data(await http.get(f"{PREFIX}/services", params={"q": "workshop"}))]
    # Suspended: unlisted, and the seller cannot reopen it; reinstated: paused.
    reason = {"reason": "Copied from another seller"}
    out = data(await http.post(f"{url}/suspend", json=reason, headers=admin.headers))
    assert (out["status"], out["review_note"]) == ("suspended", reason["reason"])
    error(
        await http.post(
            f"{PREFIX}/services/{pending.id}/status",
            json={"status": "active"},
            headers=market.seller,
        ),
        422,
        "invalid_service_status",
    )
    out = data(await http.post(f"{url}/reinstate", json={}, headers=admin.headers))
    assert out["status"] == "paused"
    error(await http.post(f"{ADMIN}/svc_nope/approve", json={}, headers=admin.headers), 404)


async def _completed(
    sessions: async_sessionmaker[AsyncSession], market: Market, seller_id: str, n: int, rating: int
) -> None:
    """``n`` completed orders of the seller, each with a published buyer review."""
    buyer_id = data(await market.http.get("/v1/me", headers=market.buyer))["id"]
    service = market.service
    async with sessions() as session:
        for _ in range(n):
            order = Order(
                service_id=service["id"],
                package_id=service["packages"][0]["id"],
                buyer_id=buyer_id,
                seller_id=seller_id,
                title="done",
                currency="NGN",
                price=100,
                service_fee=0,
                commission=0,
                delivery_days=1,
                revisions_allowed=0,
                status="completed",
            )
            session.add(order)
            await session.flush()
            session.add(
                Review(
                    order_id=order.id,
                    service_id=service["id"],
                    author_id=buyer_id,
                    role="buyer",
                    rating=rating,
                    published_at=utcnow(),
                )
            )
        await session.commit()


async def test_search_by_seller_rating_and_level(
    market: Market, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    seller_id = data(await http.get("/v1/me", headers=market.seller))["id"]
    other = await register_and_login(http, "other-seller@example.com")
    theirs = data(
        await http.post(
            f"{PREFIX}/services", json=gig(market.category_id, "Logo sketches"), headers=other
        ),
        201,
    )
    everyone = {market.service["id"], theirs["id"]}

    async def found(**params: object) -> set[str]:
        return {s["id"] for s in data(await http.get(f"{PREFIX}/services", params=params))}

    assert await found(q="logo") == everyone
    assert await found(q="logo", seller_level="new") == everyone
    assert await found(q="logo", min_seller_rating=4) == set()
    await _completed(sessions, market, seller_id, 5, 5)
    assert await found(q="logo", min_seller_rating=4.5) == {market.service["id"]}
    assert await found(q="logo", seller_level="level_one") == {market.service["id"]}
    assert await found(q="logo", seller_level="level_two") == set()
    r = await http.get(f"{PREFIX}/services", params={"seller_level": "grandmaster"})
    assert r.status_code == 422
    other_id = data(await http.get("/v1/me", headers=other))["id"]
    settings = Settings(marketplace_clearance_by_level={"level_one": 7 * 24 * 3600})
    async with sessions() as session:
        assert (await sellers.stats(session, seller_id)).level == "level_one"
        assert await sellers.clearance_seconds(session, settings, seller_id) == 7 * 24 * 3600
        fallback = await sellers.clearance_seconds(session, settings, other_id)
        assert timedelta(seconds=fallback) == timedelta(days=14)


async def test_a_sellers_avatar(market: Market, http: httpx.AsyncClient) -> None:
    url = f"{PREFIX}/profile/avatar"
    png = {"file": ("me.png", PNG, "image/png")}
    error(await http.post(url, files=png, headers=market.seller), 404)  # no profile yet
    profile = {"display_name": "Sola Designs", "headline": "Logos that last"}
    data(await http.put(f"{PREFIX}/profile", json=profile, headers=market.seller))
    bad = {"file": ("me.png", b"GIF89a", "image/png")}
    error(await http.post(url, files=bad, headers=market.seller), 422, "image_refused")
    out = data(await http.post(url, files=png, headers=market.seller))
    assert out["avatar_url"]
    served = await http.get(out["avatar_url"])
    assert served.status_code == 200 and served.content == PNG
    seller_id = market.service["seller_id"]
    assert data(await http.get(f"{PREFIX}/sellers/{seller_id}"))["avatar_url"] == out["avatar_url"]
    page = await http.get(f"/market/services/{market.service['id']}")
    assert out["avatar_url"] in page.text
    buyer_id = data(await http.get("/v1/me", headers=market.buyer))["id"]
    error(await http.get(f"{PREFIX}/sellers/{buyer_id}/avatar"), 404)
