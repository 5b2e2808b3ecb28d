"""Funding an escrow order through Fincra's hosted checkout (sandbox), refunded to the wallet."""

from __future__ import annotations

import httpx

from tests.escrow.conftest import Deal
from tests.support.api import data
from tests.support.platform import eventually


async def test_fincra_checkout_funds_the_order(deal: Deal, http: httpx.AsyncClient) -> None:
    await deal.create(amount=3_000_000)
    await deal.act("accept", "seller")
    body = {"method": "card", "provider": "fincra"}
    pay = data(await http.post(f"/v1/escrow/orders/{deal.id}/pay", json=body, headers=deal.buyer))
    assert "/sandbox/fincra/" in pay["authorization_url"]
    again = data(await http.post(f"/v1/escrow/orders/{deal.id}/pay", json=body, headers=deal.buyer))
    assert again["reference"] == pay["reference"]
    r = await http.post(f"{pay['authorization_url']}/pay")
    assert r.status_code < 400, r.text

    async def funded() -> bool:
        return (await deal.get())["status"] == "funded"

    await eventually(funded)
    order = await deal.act("cancel", "buyer")  # before the work starts: refunded in full
    assert order["status"] == "refunded" and order["refunds"][0]["destination"] == "wallet"
    assert (await deal.wallet("buyer"))["available"] == 3_000_000
