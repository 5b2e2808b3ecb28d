"""Payments in review (the provider took another amount or currency than ours): an admin
accepts the provider's amount or refunds it in full, with a fresh TOTP code, over real HTTP
against the whole platform and the Paystack sandbox; the ledger invariant holds after each
scenario, and the payment's owner hears the outcome."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.audit.models import AuditEntry
from kro.ledger.models import LedgerAccount
from kro.ledger.service import get_balance, get_transfer
from kro.payments.models import Payment
from tests.escrow.test_disputes import Admin, enrolled_admin
from tests.giving.console import console, fresh_code, post_form
from tests.payments.merchant import Merchant, customer_pays
from tests.payments.test_platform_reconciliation import (
    heard,
    open_payment,
    status_of,
    until_status,
)
from tests.payments.test_reconciliation import force
from tests.support.api import data, error
from tests.support.platform import Platform, sandbox_pay

REVIEW = "/v1/admin/payments"


async def in_review(
    http: httpx.AsyncClient,
    p: Platform,
    sessions: async_sessionmaker[AsyncSession],
    taken: int,
    **drift: Any,
) -> Payment:
    """A product's payment that the provider confirms for ``taken`` while ours drifted."""
    payment = await open_payment(p, sessions, taken)
    await force(sessions, payment.id, **drift)
    await sandbox_pay(http, str(payment.authorization_url))

    await until_status(sessions, payment.id, "needs_review")
    return payment


async def decide(
    http: httpx.AsyncClient, admin: Admin, payment_id: str, decision: str, code: str | None = None
) -> httpx.Response:
    body = {"totp_code": code or fresh_code(admin), "reason": "the buyer confirmed the amount"}
    return await http.post(f"{REVIEW}/{payment_id}/review/{decision}", json=body,
                           headers=admin.headers)  # fmt: skip


async def test_accepting_books_what_the_provider_took(
    gateway: Platform, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        admin = await enrolled_admin(http)
        payment = await in_review(http, gateway, sessions, 500_000, amount=500_001)
        assert await heard(sessions, "payment_needs_review") == 1
        queue = data(await http.get(f"{REVIEW}/review", headers=admin.headers))
        assert [(p["id"], p["amount"]) for p in queue] == [(payment.id, 500_001)]

        error(await decide(http, admin, payment.id, "accept", code="000000"), 403, "totp_required")
        error(await http.get(f"{REVIEW}/review"), 401)
        error(await decide(http, admin, "pay_nope", "accept"), 404, "payment_not_found")
        assert await status_of(sessions, payment.id) == "needs_review"

        done = data(await decide(http, admin, payment.id, "accept"))
        assert (done["status"], done["amount"], done["amount_captured"]) == (
            "completed", 500_000, 500_000
        )  # fmt: skip
        assert await heard(sessions, "payment_completed") == 1
        error(await decide(http, admin, payment.id, "accept"), 409, "payment_not_in_review")
        error(await decide(http, admin, payment.id, "refund"), 409, "payment_not_in_review")
        assert data(await http.get(f"{REVIEW}/review", headers=admin.headers)) == []

        # Another currency cannot be booked to the owner's account: refund only.
        other = await in_review(http, gateway, sessions, 200_000, currency="USD")
        error(await decide(http, admin, other.id, "accept"), 409, "review_currency_differs")

        # A merchant's payment: accepted, its merchant's balance is credited.
        shop = await Merchant.create(http, "review")
        await shop.configure("paystack", 1)
        theirs = data(await shop.pay(90_000), 201)
        await force(sessions, theirs["id"], amount=90_500)
        await customer_pays(http, theirs)
        await shop.until(theirs["id"], "needs_review")
        # Only an admin decides: the merchant's own key cannot, nor can any other decision.
        body = {"totp_code": "123456", "reason": "mine"}
        url = f"{REVIEW}/{theirs['id']}/review"
        r = await http.post(f"{url}/accept", json=body, headers=shop.key)
        assert r.status_code in (401, 403)
        error(await http.post(f"{url}/keep", json=body, headers=admin.headers), 422)
        data(await decide(http, admin, theirs["id"], "accept"))
        assert (await shop.payment(theirs["id"]))["status"] == "completed"

    async with sessions() as session:
        transfer = await get_transfer(session, f"trf_{payment.id}_in")
        assert transfer is not None and transfer.amount == 500_000
        assert (await get_balance(session, payment.credit_account_id)).posted == 500_000
        audit = list(await session.scalars(select(AuditEntry).where(
            AuditEntry.target_id == payment.id)))  # fmt: skip
        assert [a.action for a in audit] == ["payments.review_accepted"]
        assert audit[0].details is not None
        assert audit[0].details["ours"] == {"amount": 500_001, "currency": "NGN"}


async def test_refunding_from_the_console(
    gateway: Platform, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        admin = await enrolled_admin(http)
        payment = await in_review(http, gateway, sessions, 300_000, amount=299_000)
        page = "/admin/payments/review"
        async with console(gateway.base_url, admin) as browser:
            overview = (await browser.get("/admin")).text
            assert "Payments in review" in overview and f'href="{page}"' in overview
            html = (await browser.get(page)).text
            assert f'id="payment-{payment.id}"' in html
            fields = {"decision": "refund", "reason": "wrong amount", "totp_code": "000000"}
            r = await post_form(browser, page, f"{page}/{payment.id}", fields)
            assert r.status_code == 403 and f'id="e-totp_code-{payment.id}"' in r.text
            assert 'data-code="totp_required"' in r.text
            fields["totp_code"] = fresh_code(admin)
            r = await post_form(browser, page, f"{page}/{payment.id}", fields)
            assert r.status_code == 303, r.text
            assert f'id="payment-{payment.id}"' not in (await browser.get(page)).text
        error(await decide(http, admin, payment.id, "refund", fresh_code(admin)), 409,
              "payment_not_in_review")  # fmt: skip

        await until_status(sessions, payment.id, "refunded")
        assert await heard(sessions, "payment_refunded") == 1
        assert await heard(sessions, "payment_completed") == 0

    async with sessions() as session:
        found = await session.get(Payment, payment.id)
        assert found is not None
        assert (found.amount, found.amount_captured, found.amount_refunded) == (
            300_000, 300_000, 300_000
        )  # fmt: skip
        parked = await session.scalar(select(LedgerAccount).where(
            LedgerAccount.code == f"payment_review:{payment.id}:NGN"))  # fmt: skip
        assert parked is not None
        balance = await get_balance(session, parked.id)
        assert (balance.credits_posted, balance.debits_posted) == (300_000, 300_000)
        assert (await get_balance(session, payment.credit_account_id)).posted == 0
        audit = await session.scalar(select(AuditEntry.action).where(
            AuditEntry.target_id == payment.id))  # fmt: skip
        assert audit == "payments.review_refunded"
