"""The marketplace's admin API and console pages: categories edited in the tree (rename,
move, commission; no cycles), the money terms in force, a seller suspended (their services
with them, nothing new listed) and reinstated, reports per day; the pages /admin/market,
/admin/market/categories and /admin/market/reports with their forms and errors in place."""

from __future__ import annotations

import httpx

from kro.kit.clock import utcnow
from kro.kit.days import LAGOS
from tests.escrow.test_disputes import enrolled_admin
from tests.giving.console import console, fresh_code, post_form, repeated_ids
from tests.marketplace.conftest import PREFIX, Market, gig
from tests.support.api import data, error
from tests.support.platform import Platform

ADMIN = "/v1/admin/marketplace"


async def test_categories_fees_suspension_and_reports(
    market: Market, http: httpx.AsyncClient
) -> None:
    admin = await enrolled_admin(http)
    h = admin.headers
    parent = data(await http.post(f"{ADMIN}/categories", json={"name": "Design"}, headers=h), 201)
    url = f"{ADMIN}/categories/{market.category_id}"
    moved = {"name": "Logos", "parent_id": parent["id"], "commission_bps": 1_500}
    out = data(await http.put(url, json=moved, headers=h))
    assert (out["name"], out["parent_id"], out["commission_bps"]) == ("Logos", parent["id"], 1_500)
    cycle = {"name": "Design", "parent_id": market.category_id}
    error(
        await http.put(f"{ADMIN}/categories/{parent['id']}", json=cycle, headers=h),
        422,
        "category_cycle",
    )
    error(await http.put(f"{ADMIN}/categories/cat_nope", json=moved, headers=h), 404)
    assert (await http.put(url, json=moved, headers=market.seller)).status_code in (401, 403)
    # The commission of the category applies to new orders.
    order = await market.place()
    assert order["commission"] == order["price"] * 15 // 100
    terms = data(await http.get(f"{ADMIN}/fees", headers=h))
    assert (terms["service_fee_bps"], terms["commission_bps"], terms["tip_commission_bps"]) == (
        550,
        2_000,
        0,
    )
    # Reports: the paid order on its Lagos day.
    await market.pay()
    today = utcnow().astimezone(LAGOS).date().isoformat()
    rows = data(
        await http.get(f"{ADMIN}/reports/daily", params={"start": today, "end": today}, headers=h)
    )
    assert rows == [
        {
            "day": today,
            "orders": 1,
            "gmv": order["buyer_pays"],
            "fees": order["service_fee"] + order["commission"],
        }
    ]
    bad = {"start": today, "end": "2020-01-01"}
    error(
        await http.get(f"{ADMIN}/reports/daily", params=bad, headers=h), 422, "invalid_date_range"
    )
    # A suspended seller: services suspended, nothing new listed, the paid order goes on.
    seller_id = market.service["seller_id"]
    reason = {"reason": "Fraud reports"}
    suspended = data(
        await http.post(f"{ADMIN}/sellers/{seller_id}/suspend", json=reason, headers=h)
    )
    assert [s["status"] for s in suspended] == ["suspended"]
    error(await http.get(f"{PREFIX}/services/{market.service['id']}"), 404)
    error(
        await http.post(f"{PREFIX}/services", json=gig(market.category_id), headers=market.seller),
        403,
        "seller_suspended",
    )
    assert (await market.get())["status"] == "paid"
    data(await http.post(f"{ADMIN}/sellers/{seller_id}/reinstate", headers=h))
    error(
        await http.post(f"{ADMIN}/sellers/{seller_id}/reinstate", headers=h),
        404,
        "seller_not_suspended",
    )
    data(
        await http.post(f"{PREFIX}/services", json=gig(market.category_id), headers=market.seller),
        201,
    )


async def test_console_pages(market: Market, http: httpx.AsyncClient, platform: Platform) -> None:
    admin = await enrolled_admin(http)
    fresh_code(admin)
    service = market.service["id"]
    async with console(platform.base_url, admin) as client:
        home = await client.get("/admin/market")
        assert home.status_code == 200 and market.service["title"] in home.text
        assert repeated_ids(home.text) == []
        action = f"/admin/market/services/{service}/suspend"
        r = await post_form(client, "/admin/market", action, {"reason": ""})
        assert r.status_code == 422 and "reason_required" in r.text
        r = await post_form(client, "/admin/market", action, {"reason": "Copied work"})
        assert r.status_code == 303
        assert data(await http.get(f"{ADMIN}/services?status=suspended", headers=admin.headers))
        r = await post_form(
            client, "/admin/market", f"/admin/market/services/{service}/reinstate", {}
        )
        assert r.status_code == 303
        pages = "/admin/market/categories"
        r = await post_form(client, pages, pages, {"name": "Writing", "commission_bps": "abc"})
        assert r.status_code == 422
        r = await post_form(client, pages, pages, {"name": "Writing", "commission_bps": "1000"})
        assert r.status_code == 303
        edit = f"{pages}/{market.category_id}"
        r = await post_form(client, pages, edit, {"name": "Logos", "commission_bps": "1200"})
        assert r.status_code == 303
        page = await client.get(pages)
        assert "Writing" in page.text and 'value="1200"' in page.text
        assert repeated_ids(page.text) == []
        report = await client.get("/admin/market/reports")
        assert report.status_code == 200 and "GMV" in report.text
        bad = await client.get(
            "/admin/market/reports", params={"start": "2026-02-01", "end": "2026-01-01"}
        )
        assert bad.status_code == 422 and "invalid_date_range" in bad.text
        dashboard = await client.get("/admin")
        assert "Marketplace: services to review" in dashboard.text


async def test_fee_terms_changed_with_a_fresh_code(
    market: Market, http: httpx.AsyncClient, platform: Platform
) -> None:
    admin = await enrolled_admin(http)
    new = {
        "service_fee_bps": 1_000,
        "service_fee_min": 50_000,
        "service_fee_cap": 0,
        "commission_bps": 1_000,
        "tip_commission_bps": 500,
        "note": "Launch promotion",
    }
    r = await http.put(f"{ADMIN}/fees", json=new, headers=admin.headers)
    error(r, 403, "totp_required")
    before = await market.place()  # placed under the old terms: it keeps them
    out = data(
        await http.put(
            f"{ADMIN}/fees", json={**new, "totp_code": admin.code()}, headers=admin.headers
        )
    )
    assert (out["service_fee_bps"], out["commission_bps"], out["tip_commission_bps"]) == (
        1_000,
        1_000,
        500,
    )
    after = await market.place()
    price = after["price"]
    assert (after["service_fee"], after["commission"]) == (price // 10, price // 10)
    assert before["service_fee"] == (price * 550 + 5_000) // 10_000
    again = data(await http.get(f"{PREFIX}/orders/{before['id']}", headers=market.buyer))
    assert again["service_fee"] == before["service_fee"]
    # The console's form: a wrong code is shown beside its field; nothing changes.
    fresh_code(admin)
    async with console(platform.base_url, admin) as client:
        page = "/admin/market/categories"
        form = {
            "service_fee_bps": "550",
            "service_fee_min": "0",
            "service_fee_cap": "0",
            "default_commission_bps": "2000",
            "tip_commission_bps": "0",
            "totp_code": "000000",
        }
        r = await post_form(client, page, "/admin/market/terms", form)
        assert r.status_code in (403, 422) and 'id="e-totp_code"' in r.text
        assert repeated_ids(r.text) == []
        r = await post_form(
            client, page, "/admin/market/terms", form | {"totp_code": fresh_code(admin)}
        )
        assert r.status_code == 303
    terms = data(await http.get(f"{ADMIN}/fees", headers=admin.headers))
    assert (terms["service_fee_bps"], terms["commission_bps"]) == (550, 2_000)
