"""Refunds paid by hand: a product's payment through Remita (no refund API) that an admin
refunds from review waits for an operator instead of failing at the provider; the operator
records a transfer that could not be made (the refund fails, the money is parked again, the
payment is back in the queue) and then one that was made, in the console, with fresh TOTP
codes. Over real HTTP against the whole platform and the Remita simulator; the ledger
invariant holds afterwards (the ``gateway`` fixture)."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.audit.models import AuditEntry
from kro.jobs.models import Job
from kro.kit.db import unit_of_work
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.ledger.models import LedgerAccount
from kro.ledger.service import get_balance
from kro.payments.collect.service import CollectRequest, collect
from kro.payments.models import Payment, Refund
from tests.escrow.test_disputes import enrolled_admin
from tests.giving.console import console, fresh_code, post_form
from tests.payments.test_platform_reconciliation import PURPOSE, heard, until_status
from tests.payments.test_reconciliation import force
from tests.payments.test_review import decide
from tests.support.api import data, error
from tests.support.platform import Platform

MANUAL = "/v1/admin/refunds"
PAGE = "/admin/payments/manual-refunds"


async def remita_in_review(
    http: httpx.AsyncClient, p: Platform, sessions: async_sessionmaker[AsyncSession]
) -> Payment:
    """A product's Remita payment (an RRR) paid at a bank for ₦30,000 while ours drifted to
    ₦29,990: the status check finds another amount, so it waits in review."""
    async with unit_of_work(sessions) as session:
        account = await chart.ensure_escrow(session, new_id("ord"), "NGN")
        request = CollectRequest(
            purpose=PURPOSE, purpose_id=new_id("ord"), payer_id=new_id("usr"),
            email="finance@example.com", name="Adebayo Foods Ltd", amount=3_000_000,
            currency="NGN", credit_account_id=account.id, provider="remita", method="remita",
        )  # fmt: skip
        payment = await collect(session, p.settings, request)
    await force(sessions, payment.id, amount=2_999_000)
    rrr = payment.provider_transaction_id
    assert (await http.post(f"/sandbox/remita/_sandbox/rrr/{rrr}/pay")).status_code == 200
    await until_status(sessions, payment.id, "needs_review")
    return payment


async def test_a_remita_refund_is_paid_by_hand(
    gateway: Platform, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        admin = await enrolled_admin(http)
        payment = await remita_in_review(http, gateway, sessions)
        data(await decide(http, admin, payment.id, "refund"))

        # Waiting for an operator, not sent to Remita (which has no refund API).
        rows = data(await http.get(f"{MANUAL}/manual", headers=admin.headers))
        assert [(r["payment_id"], r["amount"], r["status"]) for r in rows] == [
            (payment.id, 3_000_000, "pending")
        ]
        assert rows[0]["payer_email"] == "finance@example.com"
        first = rows[0]["id"]
        url = f"{MANUAL}/{first}/manual"
        body = {"outcome": "not_paid", "note": "the payer's account is closed"}
        error(await http.post(url, json=body | {"totp_code": "000000"}, headers=admin.headers),
              403, "totp_required")  # fmt: skip
        error(await http.post(url, json={**body, "outcome": "paid", "totp_code": "123456"},
                              headers=admin.headers), 422, "validation_error")  # fmt: skip

        # The transfer could not be made: the refund fails, the payment waits in review again.
        failed = data(await http.post(url, json=body | {"totp_code": fresh_code(admin)},
                                      headers=admin.headers))  # fmt: skip
        assert failed["status"] == "failed" and "closed" in failed["failure_reason"]
        error(await http.post(url, json=body | {"totp_code": fresh_code(admin)},
                              headers=admin.headers), 409, "refund_not_manual")  # fmt: skip
        waiting = data(await http.get("/v1/admin/payments/review", headers=admin.headers))
        assert payment.id in [p["id"] for p in waiting]

        # Refunded again (it can only be refunded: the money is parked for the payer), then
        # paid by hand and recorded in the console.
        data(await decide(http, admin, payment.id, "refund"))
        second = data(await http.get(f"{MANUAL}/manual", headers=admin.headers))[0]["id"]
        assert second != first
        async with console(gateway.base_url, admin) as browser:
            overview = (await browser.get("/admin")).text
            assert "Refunds to pay by hand" in overview and f'href="{PAGE}"' in overview
            assert f'id="refund-{second}"' in (await browser.get(PAGE)).text
            fields = {"outcome": "paid", "bank_reference": "", "note": "paid from GTBank",
                      "totp_code": fresh_code(admin)}  # fmt: skip
            r = await post_form(browser, PAGE, f"{PAGE}/{second}", fields)
            assert r.status_code == 422 and 'data-code="validation_error"' in r.text
            fields |= {"bank_reference": "FT26340ABC123", "totp_code": fresh_code(admin)}
            r = await post_form(browser, PAGE, f"{PAGE}/{second}", fields)
            assert r.status_code == 303, r.text
            assert f'id="refund-{second}"' not in (await browser.get(PAGE)).text

        await until_status(sessions, payment.id, "refunded")
        assert await heard(sessions, "payment_refunded") == 1
        assert data(await http.get(f"{MANUAL}/manual", headers=admin.headers)) == []

    async with sessions() as session:
        refund = await session.get(Refund, second)
        assert refund is not None
        assert (refund.status, refund.destination) == ("processed", "manual")
        assert refund.provider_refund_id == "manual:FT26340ABC123"
        sent = await session.scalar(
            select(func.count()).select_from(Job).where(Job.name == "payments.send_refund")
        )
        assert sent == 0  # Remita was never asked for a refund
        parked = await session.scalar(
            select(LedgerAccount.id).where(LedgerAccount.code == f"payment_review:{payment.id}:NGN")
        )
        assert parked is not None
        balance = await get_balance(session, parked)
        # Parked once (3,000,000), refunded twice, the failed refund reversed: nothing left.
        assert (balance.credits_posted, balance.debits_posted) == (6_000_000, 6_000_000)
        actions = list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.target_id == payment.id)
                .order_by(AuditEntry.created_at)
            )
        )
        assert actions.count("payments.manual_refund_recorded") == 2
