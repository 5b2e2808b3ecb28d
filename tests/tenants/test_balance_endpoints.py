"""``GET /v1/balance``: the API key's tenant's merchant balance in the key's mode, from the
ledger (amount collected − provider fee − refunds), and nobody else's."""

from __future__ import annotations

import httpx

from tests.payments.merchant import Merchant, customer_pays, gateway
from tests.support.api import data, error
from tests.support.platform import Platform

__all__ = ["gateway"]


async def test_balance_follows_collections_and_refunds_per_tenant_and_mode(
    gateway: Platform,
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "balance")
        other = await Merchant.create(http, "elsewhere")
        await shop.configure("paystack", 1)
        assert data(await http.get("/v1/balance", headers=shop.key)) == []

        paid = data(await shop.pay(1_000_000), 201)
        await customer_pays(http, paid)
        done = await shop.until(paid["id"], "completed")
        url = f"/v1/payments/{paid['id']}/refunds"
        data(await http.post(url, json={"amount": 250_000}, headers=shop.key), 201)

        [ngn] = data(await http.get("/v1/balance", headers=shop.key))
        assert ngn == {
            "currency": "NGN",
            "available": 1_000_000 - done["fee"] - 250_000,
            "pending": 0,
            "credits_posted": 1_000_000,
            "debits_posted": done["fee"] + 250_000,
        }
        assert data(await http.get("/v1/balance", headers=other.key)) == []
        r = await http.post(
            f"/v1/tenants/{shop.tenant_id}/api-keys", json={"mode": "live"}, headers=shop.owner
        )
        live = {"Authorization": f"Bearer {data(r, 201)['secret']}"}
        assert data(await http.get("/v1/balance", headers=live)) == []
        error(await http.get("/v1/balance"), 401, "invalid_api_key")
