"""A product's collection through Fincra, end to end over real HTTP: ``payments.collect``
routes to the Fincra adapter, which opens a checkout on the Fincra sandbox; the payer presses
*Pay* on the hosted page, the sandbox POSTs a signed ``charge.successful`` to
``/v1/webhooks/fincra`` (served by uvicorn on the test database), and the inbox job verifies
with Fincra by our reference before posting to the ledger. The ledger invariant is checked
after every scenario, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs.models import Job
from kro.jobs.worker import drain
from kro.kit import api
from kro.kit.clock import clock
from kro.kit.db import create_engine, session_factory, unit_of_work
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.ledger.invariants import check_invariants
from kro.ledger.models import LedgerTransfer
from kro.ledger.service import get_balance
from kro.payments.collect.service import CollectRequest, collect
from kro.payments.inbox import endpoints
from kro.payments.models import Payment, WebhookEvent
from kro.providers.fincra import compute_signature
from kro.settings import Settings
from tests.sandbox.fincra_fixtures import (
    BUSINESS_ID,
    PUBLIC_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    FincraServer,
    run_sandbox,
)
from tests.sandbox.paystack_fixtures import eventually
from tests.support.server import free_port, serve_in_thread

AMOUNT = 2_500_000  # ₦25,000.00
FEE = 37_625  # 1.4 % = ₦350 + 7.5 % VAT on it = ₦26.25
PURPOSE = "fincratest"


def _receiving_app(db_url: str, settings: Settings) -> FastAPI:
    """Our webhook endpoint alone, on the test database (its own engine, its own loop)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(db_url)
        app.state.sessions = session_factory(engine)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.state.settings = settings
    api.install(app)
    app.include_router(endpoints.router)
    return app


@dataclass
class Checkout:
    sandbox: FincraServer
    api_url: str
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]

    async def open(self, amount: int = AMOUNT) -> Payment:
        order_id = new_id("ord")
        async with unit_of_work(self.sessions) as session:
            escrow = await chart.ensure_escrow(session, order_id, "NGN")
            request = CollectRequest(
                purpose=PURPOSE, purpose_id=order_id, payer_id=new_id("usr"),
                email="ada@example.com", amount=amount, currency="NGN",
                credit_account_id=escrow.id, name="Ada", provider="fincra",
            )  # fmt: skip
            return await collect(session, self.settings, request)

    async def press_pay(self, payment: Payment) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.post(f"{payment.authorization_url}/pay")
        assert r.status_code == 200, r.text
        await self.delivered(payment)

    async def delivered(self, payment: Payment, count: int = 1) -> list[dict[str, Any]]:
        async def check() -> list[dict[str, Any]] | None:
            rows = await self.sandbox.webhooks(reference=_fincra_reference(payment))
            done = [r for r in rows if r["status"] == "delivered"]
            return done if len(done) >= count else None

        rows: list[dict[str, Any]] = await eventually(check, within=10)
        return rows

    async def post(self, body: bytes, signature: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as http:
            return await http.post(
                f"{self.api_url}/v1/webhooks/fincra", content=body,
                headers={"signature": signature, "content-type": "application/json"},
            )  # fmt: skip

    async def run_jobs(self) -> int:
        return await drain(self.sessions, self.settings)

    async def payment(self, payment_id: str) -> Payment:
        async with self.sessions() as s:
            payment = await s.get(Payment, payment_id)
        assert payment is not None
        return payment

    async def snapshot(self) -> dict[str, Any]:
        async with self.sessions() as s:
            transfers = await s.scalar(select(func.count()).select_from(LedgerTransfer))
            payments = [(p.id, p.status) for p in await s.scalars(select(Payment))]
            events = [(e.id, e.status, e.deliveries) for e in await s.scalars(select(WebhookEvent))]
            jobs = await s.scalar(select(func.count()).select_from(Job))
        return {"transfers": transfers, "payments": payments, "events": events, "jobs": jobs}


@pytest.fixture
def checkout(
    db_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> Iterator[Checkout]:
    api_port, sandbox_port = free_port(), free_port()
    settings = Settings(
        env="test",
        database_url=db_url,
        sandbox_enabled=False,
        fincra_base_url=f"http://127.0.0.1:{sandbox_port}",
        fincra_secret_key=SECRET_KEY,
        fincra_public_key=PUBLIC_KEY,
        fincra_business_id=BUSINESS_ID,
        fincra_webhook_secret=WEBHOOK_SECRET,
        job_extra_modules="kro.payments.inbox.tasks,kro.payments.reconciliation.tasks",
        worker_schedule_periodic=False,
    )
    with serve_in_thread(lambda _: _receiving_app(db_url, settings), port=api_port) as api_url:
        hook = f"{api_url}/v1/webhooks/fincra"
        with run_sandbox(tmp_path / "fincra.db", hook, port=sandbox_port) as sandbox:
            yield Checkout(sandbox, api_url, settings, sessions)


@pytest.fixture(autouse=True)
async def _ledger_ok(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    yield
    async with sessions() as s:
        assert await check_invariants(s) == []


async def _completion_jobs(checkout: Checkout, payment: Payment) -> int:
    async with checkout.sessions() as s:
        stmt = (
            select(func.count())
            .select_from(Job)
            .where(
                Job.name == f"{PURPOSE}.payment_completed",
                Job.dedupe_key == f"payment_completed:{payment.id}",
            )
        )
        return int(await s.scalar(stmt) or 0)


async def test_open_records_the_checkout_link(checkout: Checkout) -> None:
    payment = await checkout.open()
    assert payment.provider == "fincra" and payment.status == "requires_action"
    assert payment.authorization_url == f"{checkout.sandbox.url}/pay/{_fincra_reference(payment)}"
    assert payment.next_action == {"type": "redirect_to_url", "url": payment.authorization_url}
    async with checkout.sandbox.control() as http:
        shown = (await http.get(f"/_sandbox/checkouts/{payment.reference}")).json()["data"]
    assert shown["amount"] == 25000 and shown["merchantReference"] == payment.reference
    assert shown["metadata"]["kro_reference"] == payment.reference
    assert shown["metadata"]["purpose_id"] == payment.purpose_id


async def test_full_payment_posts_to_the_ledger(checkout: Checkout) -> None:
    payment = await checkout.open()
    await checkout.press_pay(payment)
    assert (await checkout.payment(payment.id)).status == "requires_action"  # not before the job
    assert await checkout.run_jobs() == 1
    done = await checkout.payment(payment.id)
    assert done.status == "completed" and done.provider_fee == FEE
    assert done.provider_transaction_id and done.provider_transaction_id.startswith("fcr-")
    assert await _completion_jobs(checkout, payment) == 1
    async with checkout.sessions() as s:
        clearing = await chart.ensure_provider_clearing(s, "fincra", "NGN")
        expense = await chart.ensure_provider_fees(s, "fincra", "NGN")
        assert (await get_balance(s, payment.credit_account_id)).posted == AMOUNT
        assert (await get_balance(s, expense.id)).posted == FEE
        clearing_balance = await get_balance(s, clearing.id)
        [event] = (await s.scalars(select(WebhookEvent))).all()
    assert clearing_balance.debits_posted - clearing_balance.credits_posted == AMOUNT - FEE
    assert (event.provider, event.status) == ("fincra", "processed")


async def test_duplicate_webhook_changes_nothing(checkout: Checkout) -> None:
    payment = await checkout.open()
    await checkout.press_pay(payment)
    await checkout.run_jobs()
    before = await checkout.snapshot()
    [delivery] = await checkout.delivered(payment)
    async with checkout.sandbox.control() as http:
        r = await http.post(f"/_sandbox/webhooks/{delivery['id']}/resend")
    assert r.status_code == 200
    await checkout.delivered(payment, count=2)
    assert await checkout.run_jobs() == 0
    after = await checkout.snapshot()
    [(_, status, deliveries)] = after.pop("events")
    assert (status, deliveries) == ("processed", 2)
    before.pop("events")
    assert after == before


@pytest.mark.parametrize("secret", ["forged-secret", None])
async def test_forged_signature_is_401_and_stores_nothing(
    checkout: Checkout, secret: str | None
) -> None:
    payment = await checkout.open()
    body = _event(payment.reference)
    r = await checkout.post(body, compute_signature(body, secret) if secret else "")
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_signature"
    assert (await checkout.snapshot())["events"] == []


async def test_signed_webhook_for_an_unpaid_reference_moves_nothing(checkout: Checkout) -> None:
    """A correctly signed ``charge.successful`` is only a hint: Fincra says the checkout is
    still pending, so nothing moves, now or after the re-checks; the payment stays open."""
    payment = await checkout.open()
    body = _event(payment.reference)
    r = await checkout.post(body, compute_signature(body, WEBHOOK_SECRET))
    assert r.status_code == 200 and r.json()["data"]["duplicate"] is False
    for _ in range(6):
        await checkout.run_jobs()
        clock.advance(timedelta(minutes=1))
    async with checkout.sessions() as s:
        [event] = (await s.scalars(select(WebhookEvent))).all()
    assert (event.status, event.outcome) == ("processed", "payment requires_action (no change)")
    snapshot = await checkout.snapshot()
    assert snapshot["transfers"] == 0
    assert (await checkout.payment(payment.id)).status == "requires_action"
    async with checkout.sessions() as s:
        checks = await s.scalar(
            select(func.count()).select_from(Job).where(Job.name == "payments.verify_payment")
        )
    assert checks and checks >= 3  # asked again with backoff: 30 s, 2 min, …


async def test_signed_webhook_for_an_unknown_reference_moves_nothing(checkout: Checkout) -> None:
    await checkout.open()
    body = _event("pay-nobody")
    assert (await checkout.post(body, compute_signature(body, WEBHOOK_SECRET))).status_code == 200
    await checkout.run_jobs()
    snapshot = await checkout.snapshot()
    assert snapshot["transfers"] == 0 and snapshot["events"][0][1] == "ignored"


async def test_amount_mismatch_needs_review(checkout: Checkout) -> None:
    payment = await checkout.open()
    await checkout.sandbox.pay(payment.reference, amount=AMOUNT - 100_000)
    await checkout.delivered(payment)
    await checkout.run_jobs()
    after = await checkout.payment(payment.id)
    assert after.status == "needs_review"
    assert after.failure_reason == (
        f"provider reports {AMOUNT - 100_000} NGN, expected {AMOUNT} NGN"
    )
    assert (await checkout.snapshot())["transfers"] == 0
    assert await _completion_jobs(checkout, payment) == 0


def _fincra_reference(payment: Payment) -> str:
    """Fincra's own reference of the checkout: the last segment of its link."""
    assert payment.authorization_url is not None
    return payment.authorization_url.rsplit("/", 1)[1]


def _event(merchant_reference: str) -> bytes:
    data = {
        "event": "charge.successful",
        "data": {
            "chargeReference": f"fcr-cd-{merchant_reference}", "merchantReference":
            merchant_reference, "amount": 25000, "amountReceived": 25000, "currency": "NGN",
            "fee": 0, "vat": 0, "status": "success", "businessId": BUSINESS_ID,
        },
    }  # fmt: skip
    return json.dumps(data, separators=(",", ":")).encode()
