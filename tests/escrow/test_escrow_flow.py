"""An escrow order carried end to end over real HTTP: order → Paystack checkout (sandbox) →
verified charge.success → escrow holds → release → payout settled by transfer.success."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.payments.models import WebhookEvent
from tests.escrow.conftest import AMOUNT, Deal, assert_ledger_ok
from tests.support.api import data, error
from tests.support.platform import Platform, eventually


async def test_order_to_bank_account(
    deal: Deal, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    order = await deal.create()
    assert order["status"] == "created"
    assert order["fee"] == {"total": 375_000, "buyer": 0, "seller": 375_000, "payer": "seller"}
    await deal.act("accept", "seller")
    await deal.fund()
    order = deal.order
    assert order["amounts"]["held"] == AMOUNT and order["payment"]["status"] == "completed"
    assert await deal.wallet() == {
        "currency": "NGN",
        "available": 0,
        "pending": AMOUNT - 375_000,
        "held": 0,
    }
    await assert_ledger_ok(sessions)

    order = await deal.close()
    assert order["status"] == "closed"
    assert order["amounts"] == {
        "buyer_pays": AMOUNT,
        "held": 0,
        "released": AMOUNT - 375_000,
        "refunded": 0,
        "seller_receives": AMOUNT - 375_000,
    }
    actions = [
        (t["action"], t["from_state"], t["to_state"], t["actor_role"]) for t in order["transitions"]
    ]
    assert actions == [
        ("create", "new", "created", "buyer"),
        ("accept", "created", "accepted", "seller"),
        ("fund", "accepted", "funded", "system"),
        ("start", "funded", "in_progress", "seller"),
        ("complete", "in_progress", "completed", "seller"),
        ("close", "completed", "closed", "system"),
    ]
    released = AMOUNT - 375_000
    assert (await deal.wallet())["available"] == released
    await assert_ledger_ok(sessions)

    # Payout to a sandbox bank account, settled by transfer.success.
    banks = data(await http.get("/v1/banks", headers=deal.seller))
    assert any(b["code"] == "058" for b in banks)
    account = data(
        await http.post(
            "/v1/bank-accounts",
            json={"bank_code": "058", "account_number": "0000000002"},
            headers=deal.seller,
        ),
        201,
    )
    assert account["account_name"] == "BABATUNDE ADEYEMI"
    body = {"amount": released, "currency": "NGN", "bank_account_id": account["id"]}
    headers = {**deal.seller, "Idempotency-Key": "payout-1"}
    payout = data(await http.post("/v1/payouts", json=body, headers=headers), 201)
    again = data(await http.post("/v1/payouts", json=body, headers=headers), 201)
    assert again["id"] == payout["id"]
    error(
        await http.post("/v1/payouts", json={**body, "amount": 1}, headers=headers),
        422,
        "idempotency_key_reused",
    )
    assert await deal.wallet() == {
        "currency": "NGN",
        "available": 0,
        "pending": 0,
        "held": released,
    }
    # A second payout cannot spend the held money.
    error(
        await http.post(
            "/v1/payouts",
            json={**body, "amount": 100},
            headers={**deal.seller, "Idempotency-Key": "p2"},
        ),
        409,
        "insufficient_funds",
    )

    async def settled() -> bool:
        p = data(await http.get(f"/v1/payouts/{payout['id']}", headers=deal.seller))
        return p["status"] == "success"

    await eventually(settled)
    assert await deal.wallet() == {"currency": "NGN", "available": 0, "pending": 0, "held": 0}
    await assert_ledger_ok(sessions)
    # Nobody else sees the payout or the order.
    error(
        await http.get(f"/v1/payouts/{payout['id']}", headers=deal.buyer), 404, "payout_not_found"
    )


async def test_failed_transfer_voids_the_hold(
    deal: Deal, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await deal.create(amount=500_000, conditions=1)
    await deal.fund()
    await deal.close()
    available = (await deal.wallet())["available"]
    account = data(
        await http.post(
            "/v1/bank-accounts",
            json={"bank_code": "033", "account_number": "0000000009"},
            headers=deal.seller,
        ),
        201,
    )
    body = {"amount": available, "currency": "NGN", "bank_account_id": account["id"]}
    payout = data(
        await http.post("/v1/payouts", json=body, headers={**deal.seller, "Idempotency-Key": "k"}),
        201,
    )

    async def failed() -> bool:
        p = data(await http.get(f"/v1/payouts/{payout['id']}", headers=deal.seller))
        return p["status"] == "failed"

    await eventually(failed)
    assert await deal.wallet() == {
        "currency": "NGN",
        "available": available,
        "pending": 0,
        "held": 0,
    }
    await assert_ledger_ok(sessions)


async def test_duplicate_charge_success_changes_nothing(
    deal: Deal,
    http: httpx.AsyncClient,
    platform: Platform,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await deal.create()
    await deal.fund()
    before_order = await deal.get()
    before_wallet = await deal.wallet()
    deliveries = (
        await http.get(f"{platform.sandbox}/_sandbox/webhooks", params={"event": "charge.success"})
    ).json()["data"]
    delivery = next(
        d
        for d in deliveries
        if d["payload"]["data"]["reference"] == before_order["payment"]["reference"]
    )
    for _ in range(5):
        r = await http.post(f"{platform.sandbox}/_sandbox/webhooks/{delivery['id']}/resend")
        assert r.status_code == 200, r.text

    async def all_delivered() -> bool:
        async with sessions() as s:
            row = (
                await s.execute(
                    select(WebhookEvent).where(WebhookEvent.event_type == "charge.success")
                )
            ).scalar_one()
            return row.deliveries >= 6

    await eventually(all_delivered)
    async with sessions() as s:
        count = (await s.execute(select(func.count()).select_from(WebhookEvent))).scalar_one()
    assert count == 1
    assert await deal.get() == before_order
    assert await deal.wallet() == before_wallet
    await assert_ledger_ok(sessions)


async def test_payment_after_cancellation_is_refunded(
    deal: Deal,
    http: httpx.AsyncClient,
    platform: Platform,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    from kro.payments.models import Payment
    from kro.providers.paystack.client import PaystackClient
    from tests.support.platform import SECRET_KEY, sandbox_pay

    await deal.create()
    await deal.act("accept", "seller")
    checkout = await deal.checkout()
    assert (await deal.act("cancel", "buyer"))["status"] == "cancelled"
    await sandbox_pay(http, checkout["authorization_url"])  # the buyer paid in an old tab

    async def refunded() -> bool:
        async with sessions() as s:
            p = (
                await s.execute(select(Payment).where(Payment.reference == checkout["reference"]))
            ).scalar_one()
            return p.status == "refunded"

    await eventually(refunded)
    async with PaystackClient(platform.sandbox, SECRET_KEY) as client:
        assert (await client.verify_transaction(checkout["reference"])).status in (
            "reversed",
            "success",
        )
    assert (await deal.get())["status"] == "cancelled"
    await assert_ledger_ok(sessions)
    admin_rows = await _escrow_balance(sessions, deal.id)
    assert admin_rows == 0


async def _escrow_balance(sessions: async_sessionmaker[AsyncSession], order_id: str) -> int:
    from kro.ledger.reports import list_balances

    async with sessions() as s:
        (row,) = await list_balances(s, code_prefixes=(f"escrow:{order_id}:",))
    return row.posted
