"""Funding an escrow order by bank transfer into a Providus dynamic account (sandbox)."""

from __future__ import annotations

import httpx

from tests.escrow.conftest import Deal
from tests.support.api import data
from tests.support.platform import Platform, eventually


async def _transfer(http: httpx.AsyncClient, platform: Platform, account: str, amount: int) -> None:
    r = await http.post(
        f"{platform.base_url}/sandbox/providus/_sandbox/transfers",
        json={"account_number": account, "amount": amount, "source_account_name": "ADA BUYER"},
    )
    assert r.status_code < 300, r.text


async def test_over_payment_funds_the_order_and_credits_the_excess(
    deal: Deal, http: httpx.AsyncClient, platform: Platform
) -> None:
    await deal.create(amount=5_000_000)
    await deal.act("accept", "seller")
    pay = data(
        await http.post(
            f"/v1/escrow/orders/{deal.id}/pay", json={"method": "bank_transfer"}, headers=deal.buyer
        )
    )
    assert pay["bank_name"] == "Providus Bank" and len(pay["account_number"]) == 10
    again = data(
        await http.post(
            f"/v1/escrow/orders/{deal.id}/pay", json={"method": "bank_transfer"}, headers=deal.buyer
        )
    )
    assert again["account_number"] == pay["account_number"]
    await _transfer(http, platform, pay["account_number"], pay["amount"] + 70_000)

    async def funded() -> bool:
        return (await deal.get())["status"] == "funded"

    await eventually(funded)
    assert (await deal.wallet("buyer"))["available"] == 70_000
    order = await deal.close()
    assert order["status"] == "closed"


async def test_under_payment_leaves_the_order_unfunded(
    deal: Deal, http: httpx.AsyncClient, platform: Platform
) -> None:
    await deal.create(amount=5_000_000)
    await deal.act("accept", "seller")
    pay = data(
        await http.post(
            f"/v1/escrow/orders/{deal.id}/pay", json={"method": "bank_transfer"}, headers=deal.buyer
        )
    )
    await _transfer(http, platform, pay["account_number"], 1_000_000)

    async def in_wallet() -> bool:
        return (await deal.wallet("buyer"))["available"] == 1_000_000

    await eventually(in_wallet)
    order = await deal.get()
    assert order["status"] == "accepted" and order["payment"]["status"] == "underpaid"
