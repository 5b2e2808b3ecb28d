"""Payouts fixtures: a payee with a funded wallet and a bank account, Paystack's transfer API
in memory (the job handlers get it instead of the real client), and a one-job runner."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import kro.payouts.tasks  # noqa: F401  (registers the payout job handlers)
from kro.identity.models import User
from kro.jobs.registry import JobContext, get_handler
from kro.kit.db import unit_of_work
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.ledger.service import get_balance
from kro.payments import gateway
from kro.payouts.models import BankAccount
from kro.providers.errors import ProviderRejected, ProviderTimeout
from kro.providers.paystack.schemas import RecipientDetails, Transfer, TransferRecipient
from kro.settings import Settings
from tests.ledger.factories import fund

FUNDS = 1_000_000  # ₦10,000.00 in the payee's wallet


@dataclass
class FakePaystack:
    """Paystack's transfer endpoints in memory, as the sandbox and the docs describe them: one
    transfer per reference (a second ``POST /transfer`` with it is refused as a duplicate),
    ``verify`` answers 404 for a reference it has not got.

    Scripting: ``answer`` is the status ``POST /transfer`` gives (``pending``, ``success``,
    ``failed``, …); ``timeouts`` makes the next N transfers raise ProviderTimeout *after*
    Paystack recorded them (``lost``: before, so it never got them); ``refuse`` refuses the next
    transfer with that message; ``during`` runs inside every call (to look at locks).
    """

    answer: str = "pending"
    fee: int = 5_000
    timeouts: int = 0
    lost: bool = False
    refuse: str | None = None
    during: Callable[[str], Awaitable[None]] | None = None
    after: Callable[[Transfer], Awaitable[None]] | None = None
    transfers: dict[str, Transfer] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    async def __aenter__(self) -> FakePaystack:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def _enter(self, operation: str) -> None:
        self.calls.append(operation)
        if self.during is not None:
            await self.during(operation)

    async def create_transfer_recipient(
        self, name: str, account_number: str, bank_code: str, currency: str
    ) -> TransferRecipient:
        await self._enter("create_recipient")
        return TransferRecipient(
            id=next(self._ids),
            recipient_code=f"RCP_{account_number}",
            name=name,
            type="nuban",
            currency=currency,
            details=RecipientDetails(account_number=account_number, bank_code=bank_code),
        )

    async def initiate_transfer(
        self, amount: int, recipient_code: str, reference: str, reason: str, currency: str
    ) -> Transfer:
        await self._enter("initiate_transfer")
        if self.refuse is not None:
            message, self.refuse = self.refuse, None
            raise self._rejected("initiate_transfer", 400, message)
        if reference in self.transfers:
            raise self._rejected(
                "initiate_transfer", 400, "Duplicate Transfer Reference", "duplicate_reference"
            )
        if self.timeouts and self.lost:
            self.timeouts -= 1
            raise ProviderTimeout(provider="paystack", operation="initiate_transfer")
        transfer = Transfer(
            id=next(self._ids),
            reference=reference,
            transfer_code=f"TRF_{reference[-8:]}",
            amount=amount,
            currency=currency,
            status=self.answer,
            fee_charged=self.fee,
        )
        self.transfers[reference] = transfer
        if self.after is not None:
            await self.after(transfer)
        if self.timeouts:
            self.timeouts -= 1
            raise ProviderTimeout(provider="paystack", operation="initiate_transfer")
        return transfer

    async def verify_transfer(self, reference: str) -> Transfer:
        await self._enter("verify_transfer")
        if reference not in self.transfers:
            raise self._rejected("verify_transfer", 404, "Transfer not found")
        return self.transfers[reference]

    def settle(self, reference: str, status: str) -> None:
        """Paystack's own record moves on (what its ``transfer.*`` webhook would announce)."""
        self.transfers[reference] = self.transfers[reference].model_copy(update={"status": status})

    @staticmethod
    def _rejected(
        operation: str, status: int, message: str, code: str | None = None
    ) -> ProviderRejected:
        return ProviderRejected(
            message,
            provider="paystack",
            operation=operation,
            provider_status=status,
            provider_code=code,
        )


@pytest.fixture
def paystack(monkeypatch: pytest.MonkeyPatch) -> FakePaystack:
    """The in-memory Paystack the payout jobs talk to in this test."""
    fake = FakePaystack()
    monkeypatch.setattr(gateway, "paystack", lambda settings: fake)
    return fake


@dataclass(frozen=True)
class Payee:
    """A user with ``FUNDS`` minor units in their NGN wallet and one bank account."""

    user_id: str
    bank_account_id: str
    wallet_id: str


async def make_payee(
    sessions: async_sessionmaker[AsyncSession], funds: int = FUNDS, *, recipient: bool = True
) -> Payee:
    """A committed payee (``recipient``: the Paystack recipient already exists)."""
    async with unit_of_work(sessions) as s:
        user = User(email=f"{new_id('usr')}@example.com", full_name="Ada Obi", password_hash="!")
        s.add(user)
        await s.flush()
        account = BankAccount(
            user_id=user.id,
            bank_code="058",
            bank_name="GTBank",
            account_number="0000000002",
            account_name="ADA OBI",
            recipient_code="RCP_0000000002" if recipient else None,
        )
        s.add(account)
        wallet = await chart.ensure_wallet(s, user.id, "NGN")
        if funds:
            await fund(s, wallet, funds)
        await s.flush()
        return Payee(user.id, account.id, wallet.id)


@pytest.fixture
async def payee(sessions: async_sessionmaker[AsyncSession]) -> Payee:
    return await make_payee(sessions)


async def run_job(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    name: str,
    payload: dict[str, Any],
    *,
    attempt: int = 1,
) -> None:
    """Run one job's handler as the worker does: its writes commit together, or not at all."""
    handler = get_handler(name)
    assert handler is not None, name
    async with sessions() as session:
        ctx = JobContext(
            session=session,
            sessions=sessions,
            job_id=new_id("job"),
            name=name,
            attempt=attempt,
            max_attempts=5,
            settings=settings,
            worker_id="test",
        )
        try:
            await handler(ctx, payload)
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


async def wallet_of(sessions: async_sessionmaker[AsyncSession], payee: Payee) -> tuple[int, int]:
    """``(available, held)`` of the payee's wallet, minor units."""
    async with sessions() as s:
        balance = await get_balance(s, payee.wallet_id)
        return balance.available, balance.debits_pending
