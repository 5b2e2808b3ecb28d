"""Admin API: fee configuration with history (TOTP), condition templates, user suspension,
webhook search — every action audit-logged."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.audit.models import AuditEntry
from tests.escrow.conftest import Deal
from tests.escrow.test_disputes import enrolled_admin
from tests.support.api import data, error


async def test_fee_change_needs_totp_and_applies_to_new_orders(
    deal: Deal, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    admin = await enrolled_admin(http)
    assert data(await http.get("/v1/admin/escrow/fees", headers=admin.headers)) == []
    body = {"percent_bps": 200, "flat": 10_000, "cap": 500_000, "payer": "buyer", "note": "Q1"}
    error(
        await http.put(
            "/v1/admin/escrow/fees", json={**body, "totp_code": "000000"}, headers=admin.headers
        ),
        403,
        "totp_required",
    )
    data(
        await http.put(
            "/v1/admin/escrow/fees", json={**body, "totp_code": admin.code()}, headers=admin.headers
        )
    )
    order = await deal.create(amount=10_000_000)
    assert order["fee"] == {"total": 210_000, "buyer": 210_000, "seller": 0, "payer": "buyer"}
    assert order["amounts"]["buyer_pays"] == 10_210_000
    history = data(await http.get("/v1/admin/escrow/fees", headers=admin.headers))
    assert [h["percent_bps"] for h in history] == [200]
    async with sessions() as s:
        actions = [a.action for a in (await s.execute(select(AuditEntry))).scalars()]
    assert "escrow.fee_changed" in actions


async def test_condition_templates(deal: Deal, http: httpx.AsyncClient) -> None:
    admin = await enrolled_admin(http)
    tpl = data(
        await http.post(
            "/v1/admin/escrow/condition-templates",
            json={"description": "Source files handed over", "category": "design"},
            headers=admin.headers,
        ),
        201,
    )
    offered = data(await http.get("/v1/escrow/condition-templates", headers=deal.buyer))
    assert [t["id"] for t in offered] == [tpl["id"]]
    body = {
        "seller_email": deal.seller_email,
        "title": "Logo",
        "amount": 1_000_000,
        "currency": "NGN",
        "conditions": [{"template_id": tpl["id"]}, {"description": "Three revisions"}],
    }
    order = data(await http.post("/v1/escrow/orders", json=body, headers=deal.buyer), 201)
    assert [c["description"] for c in order["conditions"]] == [
        "Source files handed over",
        "Three revisions",
    ]
    data(
        await http.delete(
            f"/v1/admin/escrow/condition-templates/{tpl['id']}", headers=admin.headers
        )
    )
    assert data(await http.get("/v1/escrow/condition-templates", headers=deal.buyer)) == []
    error(
        await http.post("/v1/escrow/orders", json=body, headers=deal.buyer),
        404,
        "template_not_found",
    )
    bad = {**body, "conditions": [{"description": "x", "template_id": tpl["id"]}]}
    error(
        await http.post("/v1/escrow/orders", json=bad, headers=deal.buyer), 422, "validation_error"
    )


async def test_suspend_and_reinstate_a_user(deal: Deal, http: httpx.AsyncClient) -> None:
    admin = await enrolled_admin(http)
    me = data(await http.get("/v1/me", headers=deal.buyer))
    found = data(await http.get(f"/v1/admin/users?q={me['email'][:10]}", headers=admin.headers))
    assert [u["id"] for u in found] == [me["id"]]
    data(
        await http.post(
            f"/v1/admin/users/{me['id']}/suspend",
            json={"reason": "fraud check"},
            headers=admin.headers,
        )
    )
    error(await http.get("/v1/me", headers=deal.buyer), 403, "user_inactive")
    data(
        await http.post(
            f"/v1/admin/users/{me['id']}/reinstate",
            json={"reason": "cleared"},
            headers=admin.headers,
        )
    )
    data(await http.get("/v1/me", headers=deal.buyer))


async def test_webhook_search_keeps_raw_payloads(deal: Deal, http: httpx.AsyncClient) -> None:
    await deal.create()
    await deal.fund()
    admin = await enrolled_admin(http)
    rows = data(
        await http.get(
            "/v1/admin/webhooks?provider=paystack&event_type=charge.success", headers=admin.headers
        )
    )
    assert len(rows) == 1 and rows[0]["status"] == "processed"
    detail = data(await http.get(f"/v1/admin/webhooks/{rows[0]['id']}", headers=admin.headers))
    assert deal.order["payment"]["reference"] in detail["payload"]
    error(await http.get("/v1/admin/webhooks", headers=deal.buyer), 401, "admin_token_required")
