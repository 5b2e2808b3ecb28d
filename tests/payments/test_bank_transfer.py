"""Bank-transfer funding end to end over real HTTP: our adapter opens a Providus dynamic
account on the sandbox, a customer's transfer makes the sandbox POST a signed settlement
notification to ``/v1/webhooks/providus`` (served by uvicorn on the test database), and the
job verifies it with ``PiPverifyTransaction`` before posting. The ledger invariant is checked
after every scenario."""

from __future__ import annotations

import json
import secrets
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
from kro.ledger.service import balances_for_owner, get_balance
from kro.payments.collect.service import CollectRequest, collect
from kro.payments.errors import BankTransferUnavailable
from kro.payments.inbox import providus as providus_endpoints
from kro.payments.models import Payment, WebhookEvent
from kro.providers.providus import compute_signature
from kro.settings import Settings
from tests.sandbox.paystack_fixtures import eventually
from tests.sandbox.providus_fixtures import CLIENT_ID, CLIENT_SECRET, ProvidusServer, run_sandbox
from tests.support.server import free_port, serve_in_thread

AMOUNT = 1_000_000  # ₦10,000.00
FEES = 5_375  # 0.5 % capped at ₦200 (₦50.00) + 7.5 % VAT on it (₦3.75)
FEES_OVER = 6_719  # on ₦12,500: ₦62.50 + ₦4.69
FEES_UNDER = 3_225  # on ₦6,000: ₦30.00 + ₦2.25
PURPOSE = "banktest"


def _receiving_app(db_url: str, settings: Settings) -> FastAPI:
    """Our notification endpoint alone, on the test database (its own engine, its own loop)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(db_url)
        app.state.sessions = session_factory(engine)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.state.settings = settings
    api.install(app)
    app.include_router(providus_endpoints.router)
    return app


@dataclass
class Bank:
    sandbox: ProvidusServer
    api_url: str
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    payer_id: str

    async def open(self, amount: int = AMOUNT) -> Payment:
        order_id = new_id("ord")
        async with unit_of_work(self.sessions) as session:
            escrow = await chart.ensure_escrow(session, order_id, "NGN")
            return await collect(session, self.settings, self._request(order_id, amount, escrow.id))

    def _request(self, order_id: str, amount: int, credit: str) -> CollectRequest:
        return CollectRequest(
            purpose=PURPOSE, purpose_id=order_id, payer_id=self.payer_id, email="ada@example.com",
            amount=amount, currency="NGN", credit_account_id=credit, method="bank_transfer",
        )  # fmt: skip

    async def pay(self, payment: Payment, amount: int) -> dict[str, Any]:
        """The payer's transfer, acknowledged by our endpoint; returns the settlement."""
        assert payment.virtual_account_number is not None
        settled = await self.sandbox.transfer(payment.virtual_account_number, amount)
        await self.delivered(settled["settlementId"])
        return settled

    async def delivered(self, settlement_id: str, count: int = 1) -> list[dict[str, Any]]:
        async def check() -> list[dict[str, Any]] | None:
            rows = await self.sandbox.notifications(settlement_id=settlement_id, status="delivered")
            return rows if len(rows) >= count else None

        rows: list[dict[str, Any]] = await eventually(check, within=10)
        return rows

    async def post(self, body: dict[str, Any], secret: str = CLIENT_SECRET) -> dict[str, Any]:
        headers = {"Client-Id": CLIENT_ID, "X-Auth-Signature": compute_signature(CLIENT_ID, secret)}
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.post(
                f"{self.api_url}/v1/webhooks/providus", content=json.dumps(body), headers=headers
            )
        assert r.status_code == 200, r.text
        reply: dict[str, Any] = r.json()
        return reply

    async def run_jobs(self) -> int:
        return await drain(self.sessions, self.settings)

    async def snapshot(self) -> dict[str, Any]:
        async with self.sessions() as s:
            transfers = await s.scalar(select(func.count()).select_from(LedgerTransfer))
            payments = [
                (p.id, p.status, p.amount_received) for p in await s.scalars(select(Payment))
            ]
            events = [(e.id, e.status) for e in await s.scalars(select(WebhookEvent))]
            jobs = await s.scalar(select(func.count()).select_from(Job))
        return {"transfers": transfers, "payments": payments, "events": events, "jobs": jobs}


@pytest.fixture
def bank(db_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path) -> Iterator[Bank]:
    api_port, sandbox_port = free_port(), free_port()
    settings = Settings(
        env="test",
        database_url=db_url,
        sandbox_enabled=False,
        providus_base_url=f"http://127.0.0.1:{sandbox_port}",
        providus_client_id=CLIENT_ID,
        providus_client_secret=CLIENT_SECRET,
        job_extra_modules="kro.payments.bank_transfer.tasks",
        worker_schedule_periodic=False,
    )
    with serve_in_thread(lambda _: _receiving_app(db_url, settings), port=api_port) as api_url:
        hook = f"{api_url}/v1/webhooks/providus"
        with run_sandbox(tmp_path / "providus.db", hook, port=sandbox_port) as sandbox:
            yield Bank(sandbox, api_url, settings, sessions, new_id("usr"))


@pytest.fixture(autouse=True)
async def _ledger_ok(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    yield
    async with sessions() as s:
        assert await check_invariants(s) == []


async def _payment(bank: Bank, payment_id: str) -> Payment:
    async with bank.sessions() as s:
        payment = await s.get(Payment, payment_id)
    assert payment is not None
    return payment


async def _balances(bank: Bank, payment: Payment) -> tuple[int, int]:
    """(posted on the credit account, posted on the payer's wallet), kobo."""
    async with bank.sessions() as s:
        credit = await get_balance(s, payment.credit_account_id)
        wallets = await balances_for_owner(s, bank.payer_id)
    return credit.posted, sum(w.posted for w in wallets)


async def _completion_jobs(bank: Bank, payment: Payment) -> int:
    async with bank.sessions() as s:
        stmt = (
            select(func.count()).select_from(Job).where(Job.name == f"{PURPOSE}.payment_completed")
        )
        return int(
            await s.scalar(stmt.where(Job.dedupe_key == f"payment_completed:{payment.id}")) or 0
        )


async def test_open_records_the_virtual_account(bank: Bank) -> None:
    before = clock.now()
    payment = await bank.open()
    assert payment.provider == "providus" and payment.status == "requires_action"
    assert payment.next_action is not None and payment.next_action["type"] == "bank_transfer"
    assert payment.virtual_account_number and len(payment.virtual_account_number) == 10
    assert payment.virtual_account_name == f"KRO Banktest {payment.purpose_id}"
    assert payment.virtual_account_expires_at is not None
    assert payment.virtual_account_expires_at >= before + timedelta(minutes=10)
    async with bank.sandbox.control() as http:
        shown = (await http.get(f"/_sandbox/accounts/{payment.virtual_account_number}")).json()
    assert shown["data"]["initiationTranRef"] == payment.provider_transaction_id


@pytest.mark.parametrize(
    ("paid", "fees", "status", "credited", "to_wallet", "completion_jobs"),
    [
        (AMOUNT, FEES, "completed", AMOUNT, 0, 1),
        (AMOUNT + 250_000, FEES_OVER, "completed", AMOUNT, 250_000, 1),
        (600_000, FEES_UNDER, "underpaid", 0, 600_000, 0),
    ],
    ids=["exact", "over", "under"],
)
async def test_payment_is_posted_by_amount_received(
    bank: Bank,
    paid: int,
    fees: int,
    status: str,
    credited: int,
    to_wallet: int,
    completion_jobs: int,
) -> None:
    payment = await bank.open()
    settled = await bank.pay(payment, paid)
    [delivered] = await bank.delivered(settled["settlementId"])
    assert delivered["attempts"][-1]["response_code"] == "00"
    assert (await _payment(bank, payment.id)).status == "requires_action"  # not before the job
    assert await bank.run_jobs() == 1
    after = await _payment(bank, payment.id)
    assert after.status == status
    assert after.amount_received == paid
    assert after.provider_fee == fees
    assert after.provider_transaction_id == settled["settlementId"]
    assert await _balances(bank, payment) == (credited, to_wallet)
    assert await _completion_jobs(bank, payment) == completion_jobs
    async with bank.sessions() as s:
        clearing = await chart.ensure_provider_clearing(s, "providus", "NGN")
        expense = await chart.ensure_provider_fees(s, "providus", "NGN")
        assert (await get_balance(s, clearing.id)).posted == paid - fees  # what Providus settled
        assert (await get_balance(s, expense.id)).posted == fees
    if status == "underpaid":
        assert after.failure_reason and "wallet" in after.failure_reason


async def test_duplicate_settlement_answers_01_and_changes_nothing(bank: Bank) -> None:
    payment = await bank.open()
    settled = await bank.pay(payment, AMOUNT)
    await bank.run_jobs()
    before = await bank.snapshot()
    async with bank.sandbox.control() as http:
        r = await http.post(f"/_sandbox/notifications/{settled['notification_id']}/resend")
    assert r.status_code == 200
    rows = await bank.delivered(settled["settlementId"], count=2)
    assert rows[0]["attempts"][-1]["response_code"] == "01"  # newest first
    assert await bank.run_jobs() == 0
    assert await bank.snapshot() == before
    async with bank.sessions() as s:
        [event] = (await s.scalars(select(WebhookEvent))).all()
    assert event.deliveries == 2 and event.status == "processed"
    assert await _balances(bank, payment) == (AMOUNT, 0)


def _notification(
    account_number: str, settlement_id: str, amount: str = "10000.00"
) -> dict[str, Any]:
    return {
        "sessionId": "000023" + secrets.token_hex(12)[:24], "accountNumber": account_number,
        "tranRemarks": "transfer", "transactionAmount": amount, "settledAmount": amount,
        "feeAmount": "0.00", "vatAmount": "0.00", "currency": "NGN", "initiationTranRef": "",
        "settlementId": settlement_id, "sourceAccountNumber": "0123456789",
        "sourceAccountName": "MALLORY", "sourceBankName": "ACCESS BANK", "channelId": "1",
        "tranDateTime": "2025-10-21 10:00:00",
    }  # fmt: skip


async def test_unknown_account_is_rejected_with_02(bank: Bank) -> None:
    await bank.open()
    body = _notification("0000000001", "9" * 18)
    reply = await bank.post(body)
    assert reply == {
        "requestSuccessful": True,
        "sessionId": body["sessionId"],
        "responseMessage": "rejected transaction",
        "responseCode": "02",
    }
    assert (await bank.snapshot())["events"] == []


@pytest.mark.parametrize("secret", ["forged-secret", ""])
async def test_forged_signature_is_rejected_with_02(bank: Bank, secret: str) -> None:
    payment = await bank.open()
    assert payment.virtual_account_number is not None
    reply = await bank.post(_notification(payment.virtual_account_number, "8" * 18), secret)
    assert reply["responseCode"] == "02"
    assert (await bank.snapshot())["events"] == []


async def test_unreadable_body_is_rejected_with_02(bank: Bank) -> None:
    headers = {
        "Client-Id": CLIENT_ID,
        "X-Auth-Signature": compute_signature(CLIENT_ID, CLIENT_SECRET),
    }
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(f"{bank.api_url}/v1/webhooks/providus", content=b"{", headers=headers)
    assert r.status_code == 200 and r.json()["responseCode"] == "02"


async def test_signed_notification_providus_does_not_know_moves_nothing(bank: Bank) -> None:
    """The signature is static, not bound to the body: a leaked one can sign anything. Only
    ``PiPverifyTransaction`` is believed."""
    payment = await bank.open()
    assert payment.virtual_account_number is not None
    body = _notification(payment.virtual_account_number, "7" * 18, amount="10000000.00")
    assert (await bank.post(body))["responseCode"] == "00"  # stored as a hint
    before = await bank.snapshot()
    await bank.run_jobs()  # verify: unknown → asked again a minute later
    async with bank.sessions() as s:
        [event] = (await s.scalars(select(WebhookEvent))).all()
    assert event.status == "received"
    for _ in range(5):
        clock.advance(timedelta(minutes=2))
        await bank.run_jobs()
        async with bank.sessions() as s:
            event = await s.get(WebhookEvent, event.id)  # type: ignore[assignment]
        assert event is not None
        if event.status != "received":
            break
    assert event.status == "ignored"
    assert event.outcome == "Providus does not know this settlement"
    after = await bank.snapshot()
    assert after["transfers"] == before["transfers"] == 0
    assert after["payments"] == before["payments"]
    assert (await _payment(bank, payment.id)).status == "requires_action"


async def test_bank_transfer_needs_naira_and_a_payer(bank: Bank) -> None:
    async with unit_of_work(bank.sessions) as session:
        for request in (
            CollectRequest(
                PURPOSE,
                "ord_x",
                "usr_x",
                "a@example.com",
                100,
                "USD",
                "acc",
                method="bank_transfer",
            ),
            CollectRequest(
                PURPOSE, "ord_x", None, "a@example.com", 100, "NGN", "acc", method="bank_transfer"
            ),
        ):
            with pytest.raises(BankTransferUnavailable):
                await collect(session, bank.settings, request)
