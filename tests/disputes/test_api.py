"""The core dispute routes and console pages over real HTTP, on disputes the products open:
an escrow issue and a marketplace dispute, each listed, read by its parties only, refused
when the decision is bad, resolved once with a fresh TOTP code, and never twice."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import httpx

from kro.kit.clock import clock
from tests.escrow.conftest import Deal
from tests.escrow.test_disputes import Admin, enrolled_admin
from tests.giving.console import console, post_form, repeated_ids
from tests.marketplace.conftest import Market
from tests.support.api import data, error, register_and_login
from tests.support.platform import Platform

ADMIN_URL = "/v1/admin/disputes"


async def _escrow_issue(deal: Deal, http: httpx.AsyncClient) -> None:
    await deal.create()
    await deal.fund()
    await deal.act("start", "seller")
    data(
        await http.post(
            f"/v1/escrow/orders/{deal.id}/issues", json={"body": "Half done"}, headers=deal.buyer
        )
    )


async def _active(http: httpx.AsyncClient, admin: Admin, purpose: str) -> dict[str, Any]:
    params = {"purpose": purpose, "status": "active"}
    found = data(await http.get(ADMIN_URL, params=params, headers=admin.headers))
    assert len(found) == 1, found
    return dict(found[0])


async def test_parties_read_their_dispute_and_others_get_404(
    deal: Deal, http: httpx.AsyncClient
) -> None:
    await _escrow_issue(deal, http)
    admin = await enrolled_admin(http)
    dispute = await _active(http, admin, "escrow")
    assert (dispute["purpose_id"], dispute["status"], dispute["opened_role"]) == (
        deal.id,
        "open",
        "buyer",
    )
    url = f"/v1/disputes/{dispute['id']}"
    for party in (deal.buyer, deal.seller):
        mine = data(await http.get(url, headers=party))
        assert [m["kind"] for m in mine["thread"]] == ["issue"]
        assert [d["id"] for d in data(await http.get("/v1/disputes", headers=party))] == [
            dispute["id"]
        ]
    stranger = await register_and_login(http, f"stranger-{secrets.token_hex(3)}@example.com")
    error(await http.get(url, headers=stranger), 404, "dispute_not_found")
    assert data(await http.get("/v1/disputes", headers=stranger)) == []
    error(await http.get("/v1/disputes/dsp_nothing", headers=deal.buyer), 404, "dispute_not_found")
    # The admin routes are an admin's only.
    error(await http.get(ADMIN_URL, headers=deal.buyer), 401, "admin_token_required")
    error(await http.get(f"{ADMIN_URL}/{dispute['id']}", headers=stranger), 401)


async def test_an_escrow_dispute_is_resolved_once_through_the_core(
    deal: Deal, http: httpx.AsyncClient
) -> None:
    await _escrow_issue(deal, http)
    admin = await enrolled_admin(http)
    dispute = await _active(http, admin, "escrow")
    url = f"{ADMIN_URL}/{dispute['id']}/resolve"
    body = {"outcome": "refund", "note": "Not delivered", "totp_code": "000000"}

    async def post(json: dict[str, Any], headers: dict[str, str] = admin.headers) -> httpx.Response:
        return await http.post(url, json=json, headers=headers)

    # Bad input: 4xx with a code, nothing moved (the refused requests use up no code).
    error(await post({**body, "outcome": "complete"}), 422, "invalid_outcome")
    error(await post({**body, "outcome": "split"}), 422, "invalid_split")
    error(await post({**body, "note": ""}), 422, "validation_error")
    error(await post({**body, "seller_amount": -5}), 422, "validation_error")
    error(await post(body), 403, "totp_required")
    error(await post(body, deal.buyer), 401, "admin_token_required")
    error(
        await http.post(f"{ADMIN_URL}/dsp_nothing/resolve", json=body, headers=admin.headers),
        404,
        "dispute_not_found",
    )
    assert (await deal.get())["status"] == "issue_reported"

    resolved = data(await post({**body, "totp_code": admin.code()}))
    assert (resolved["status"], resolved["outcome"]) == ("resolved", "refund")
    assert [m["kind"] for m in resolved["thread"]] == ["issue", "resolution"]
    assert [e["action"] for e in resolved["events"]] == ["open", "resolve"]
    order = await deal.get()
    assert order["status"] == "refunded" and order["amounts"]["refunded"] == order["amount"]

    # A second decision changes nothing: 409, through the core or through escrow's route.
    error(
        await post({**body, "outcome": "release", "totp_code": admin.code()}), 409, "dispute_closed"
    )
    escrow_url = f"/v1/admin/escrow/orders/{deal.id}/resolve"
    again = {**body, "outcome": "release", "totp_code": admin.code()}
    error(await http.post(escrow_url, json=again, headers=admin.headers), 409)
    assert (await deal.get())["amounts"]["released"] == 0


async def test_the_console_lists_every_product_and_resolves_a_marketplace_dispute(
    market: Market, deal: Deal, http: httpx.AsyncClient, platform: Platform
) -> None:
    await _escrow_issue(deal, http)
    await market.start()
    await market.post("dispute", "buyer", {"reason": "No contact from the seller"})
    admin = await enrolled_admin(http)
    dispute = await _active(http, admin, "marketplace")
    page_url = f"/admin/disputes/{dispute['id']}"
    async with console(platform.base_url, admin) as client:
        listing = await client.get("/admin/disputes", params={"status": "active"})
        assert listing.status_code == 200
        assert page_url in listing.text and "Website redesign" in listing.text
        only = await client.get("/admin/disputes", params={"purpose": "marketplace"})
        assert page_url in only.text and "Website redesign" not in only.text
        page = await client.get(page_url)
        assert page.status_code == 200 and repeated_ids(page.text) == []
        text = page.text.replace("<wbr>", "")  # the console's break opportunities
        assert "No contact from the seller" in text and 'id="resolve"' in text
        assert (await client.get("/admin/disputes/dsp_nothing")).status_code == 404
        escrow_dispute = await _active(http, admin, "escrow")
        order_page = await client.get(f"/admin/orders/{deal.id}")  # escrow's page links it
        assert order_page.status_code == 200
        assert f'href="/admin/disputes/{escrow_dispute["id"]}"' in order_page.text

        action = f"{page_url}/resolve"
        fields = {"outcome": "split", "seller_amount": "", "note": "x", "totp_code": "000000"}
        refused = await post_form(client, page_url, action, fields)
        assert refused.status_code == 422 and 'id="e-seller_amount"' in refused.text
        fields = {"outcome": "complete", "note": "Delivered in the chat", "totp_code": "000000"}
        refused = await post_form(client, page_url, action, fields)
        assert refused.status_code == 403 and "totp_required" in refused.text

        clock.advance(timedelta(minutes=1))  # a later step than the sign-in's code
        admin.step = 0
        fields = {**fields, "totp_code": admin.code()}
        done = await post_form(client, page_url, action, fields)
        assert done.status_code == 303 and done.headers["location"].endswith(page_url)
        page = await client.get(page_url)
        assert 'id="resolve"' not in page.text
        assert re.search(r'id="outcome">\s*Complete', page.text)
    assert (await market.get())["status"] == "completed"
    resolved = data(await http.get(f"{ADMIN_URL}/{dispute['id']}", headers=admin.headers))
    assert (resolved["status"], resolved["outcome"]) == ("resolved", "complete")
