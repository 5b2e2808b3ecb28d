"""The studio's page for one service: its seller adds an image and an extra through the
pages (errors beside their field); another user gets the 404 page."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.marketplace import catalog
from tests.kyc.test_kyc import _token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def _sign_up(client: httpx.AsyncClient, email: str) -> None:
    token = await _token(client, "/sign-up")
    form = {"csrf_token": token, "full_name": "Sola Seller", "email": email}
    r = await client.post("/sign-up", data=form | {"password": "a long enough password"})
    assert r.status_code == 303, r.text


async def test_a_seller_adds_an_image_and_an_extra(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session:
        category = await catalog.create_category(session, "Studio pages")
        await session.commit()
    client.follow_redirects = False
    await _sign_up(client, "studio-seller@example.com")
    token = await _token(client, "/studio/services/new")
    r = await client.post(
        "/studio/services/new",
        data={
            "csrf_token": token,
            "title": "I will design your logo",
            "category_id": category.id,
            "description": "A clean logo with source files.",
            "basic_price": "50,000",
            "basic_days": "3",
            "basic_revisions": "1",
        },
    )
    assert r.status_code == 303, r.text
    found = re.search(r"/market/services/(svc_\w+)", r.headers["location"])
    assert found
    page = f"/studio/services/{found.group(1)}"
    assert (await client.get(page)).status_code == 200
    token = await _token(client, page)
    bad = await client.post(
        f"{page}/images", data={"csrf_token": token}, files={"file": ("a.png", b"not an image")}
    )
    assert bad.status_code == 422 and 'data-code="image_refused"' in bad.text
    token = await _token(client, page)
    r = await client.post(
        f"{page}/images",
        data={"csrf_token": token},
        files={"file": ("a.png", PNG, "image/png")},
    )
    assert r.status_code == 303
    token = await _token(client, page)
    fast = {"csrf_token": token, "title": "Yesterday", "price": "5,000", "extra_days": "-3"}
    r = await client.post(f"{page}/extras", data=fast)
    assert r.status_code == 422 and "invalid_extras" in r.text
    token = await _token(client, page)
    ok = {
        "csrf_token": token,
        "title": "One more revision",
        "price": "5,000",
        "extra_revisions": "1",
    }
    assert (await client.post(f"{page}/extras", data=ok)).status_code == 303
    shown = (await client.get(page)).text
    assert "One more revision" in shown and "₦5,000.00" in shown and "/images/img_" in shown
    # Another user: the 404 page.
    client.cookies.clear()
    await _sign_up(client, "studio-other@example.com")
    assert (await client.get(page)).status_code == 404
