"""Payout use cases: wallet balances, banks, bank accounts, payout requests and approvals.

A payout puts a hold on the wallet when it is requested (a pending ledger transfer wallet →
payouts in flight) and queues the Paystack recipient and the transfer as jobs
(:mod:`kro.payouts.transfers`); the hold is posted or voided when Paystack settles the transfer
(:mod:`kro.payouts.settlement`), each answer confirmed with ``GET /transfer/verify/:reference``.
Statuses follow :data:`kro.payouts.states.PAYOUT`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import structlog
from cachetools import TTLCache
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kro.jobs.service import enqueue
from kro.kit.db import released
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.ledger.service import Entry, account_entries, balances_for_owner, create_transfers
from kro.ledger.specs import TransferSpec
from kro.payouts import settlement, states
from kro.payouts.errors import (
    AccountNotResolved,
    BankAccountNotFound,
    CurrencyNotSupported,
    IdempotencyKeyReused,
    PayoutNotAwaitingApproval,
    PayoutNotFound,
    UnknownBank,
)
from kro.payouts.models import BankAccount, Payout, PayoutEvent
from kro.providers.errors import ProviderRejected
from kro.providers.paystack.client import PaystackClient
from kro.providers.paystack.schemas import Bank

log = structlog.get_logger("kro.payouts")
PAYOUT_CURRENCIES = frozenset({"NGN"})
_banks: TTLCache[str, list[Bank]] = TTLCache(maxsize=8, ttl=3600)


@dataclass(frozen=True)
class WalletBalance:
    """One wallet, minor units: ``available`` to spend or withdraw; ``pending`` on its way in
    (escrow releases not yet posted); ``held`` by payouts not yet settled."""

    currency: str
    available: int
    pending: int
    held: int


async def wallet_balances(session: AsyncSession, user_id: str) -> list[WalletBalance]:
    """The user's wallets, one per currency they have used."""
    return [
        WalletBalance(b.currency, b.available, b.pending, b.debits_pending)
        for b in await balances_for_owner(session, user_id)
        if b.code.startswith("wallet:")
    ]


@dataclass(frozen=True)
class WalletEntry:
    """One movement of a user's wallet as they read it. ``amount``: signed minor units (+ in,
    − out); ``status``: where it stands (``pending`` on its way in, ``paid``, or a
    withdrawal's payout status); ``reference``: the order, payment or payout it belongs to;
    ``payout_id`` when it is a withdrawal."""

    at: datetime
    kind: str
    description: str
    amount: int
    currency: str
    status: str
    reference: str | None = None
    payout_id: str | None = None


# How the lines of a wallet's ledger account read to its owner, by transfer code (each code is
# written by the module that moves the money: escrow releases, payments, payouts).
_DESCRIPTIONS = {
    "escrow.hold_seller": "Released to you from order {reference}",
    "payment.from_wallet": "Paid from your wallet ({reference})",
    "payout.reversed": "Withdrawal returned by the bank",
}
_INCOMING = "Held in escrow for you: order {reference}"
_WITHDRAWAL_HOLD = "payout.hold"


async def wallet_history(
    session: AsyncSession, user_id: str, *, limit: int = 50
) -> list[WalletEntry]:
    """The user's wallet movements, newest first, from the ledger's lines of their wallets
    (:func:`kro.ledger.service.account_entries`): money held in escrow for them (while it is),
    releases, payments from the wallet, and withdrawals with their payout's status (a
    withdrawal's hold, post and void are one line; a failed one gave the money back)."""
    lines = [
        line
        for balance in await balances_for_owner(session, user_id)
        if balance.code.startswith("wallet:")
        for line in await account_entries(session, balance.account_id, limit=limit)
    ]
    payouts = await _payouts_by_reference(
        session, user_id, {line.reference for line in lines if line.code.startswith("payout.")}
    )
    accounts = {a.id: a for a in await list_bank_accounts(session, user_id)}
    entries = [
        entry
        for line in lines
        if (entry := _wallet_entry(line, payouts.get(line.reference or ""), accounts)) is not None
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _wallet_entry(
    line: Entry, payout: Payout | None, accounts: dict[str, BankAccount]
) -> WalletEntry | None:
    """The line as its owner reads it, or None for a line that is part of another one (a
    withdrawal's post or void; an escrow hold once it is released or refunded)."""
    sign = 1 if line.side == "credit" else -1
    ref = line.reference or ""
    if line.code == _WITHDRAWAL_HOLD:
        if line.kind != "pending":
            return None
        account = accounts.get(payout.bank_account_id) if payout else None
        to = f" to {account.bank_name} ••••{account.account_number[-4:]}" if account else ""
        return WalletEntry(
            line.created_at,
            "withdrawal",
            f"Withdrawal{to}",
            -line.amount,
            line.currency,
            payout.status if payout else (line.status or ""),
            ref,
            payout.id if payout else None,
        )
    if line.kind == "pending":
        if line.status != "pending" or line.side != "credit":
            return None
        text = _INCOMING.format(reference=ref)
        return WalletEntry(
            line.created_at, "incoming", text, line.amount, line.currency, "pending", ref
        )
    if line.kind == "void_pending":
        return None
    text = _DESCRIPTIONS.get(line.code, line.code.replace("_", " ").replace(".", ": ")).format(
        reference=ref
    )
    return WalletEntry(
        line.created_at,
        line.code,
        text,
        sign * line.amount,
        line.currency,
        "paid",
        ref,
        payout.id if payout else None,
    )


async def _payouts_by_reference(
    session: AsyncSession, user_id: str, references: set[str | None]
) -> dict[str, Payout]:
    wanted = [r for r in references if r]
    if not wanted:
        return {}
    stmt = select(Payout).where(Payout.user_id == user_id, Payout.reference.in_(wanted))
    return {p.reference: p for p in (await session.execute(stmt)).scalars()}


async def list_banks(client: PaystackClient) -> list[Bank]:
    """Nigerian banks that support transfers (Paystack ``GET /bank``), cached for an hour."""
    key = client.base_url
    if key not in _banks:
        _banks[key] = [b for b in await client.list_banks() if b.active and b.supports_transfer]
    return _banks[key]


@dataclass(frozen=True)
class ResolvedBankAccount:
    """What name enquiry said about an account number at a bank: the name the bank holds."""

    bank_code: str
    bank_name: str
    account_number: str
    account_name: str


async def resolve_bank_account(
    client: PaystackClient, bank_code: str, account_number: str
) -> ResolvedBankAccount:
    """Name enquiry (Paystack ``GET /bank/resolve``): the name the bank holds for
    ``account_number``; nothing is saved. Raises UnknownBank (422) for a bank not in
    :func:`list_banks`, AccountNotResolved (422) when the bank cannot confirm the number, and
    Paystack's 502-504 when it fails."""
    bank = next((b for b in await list_banks(client) if b.code == bank_code), None)
    if bank is None:
        raise UnknownBank(details={"bank_code": bank_code, "field": "bank_code"})
    try:
        resolved = await client.resolve_account(account_number, bank_code)
    except ProviderRejected as exc:
        raise AccountNotResolved(details={"provider_message": exc.message}) from exc
    return ResolvedBankAccount(bank_code, bank.name, account_number, resolved.account_name)


async def add_bank_account(
    session: AsyncSession, client: PaystackClient, user_id: str, bank_code: str, account_number: str
) -> tuple[BankAccount, bool]:
    """Add a bank account after name enquiry (:func:`resolve_bank_account`); returns
    ``(account, created)``. The name is always the bank's, never the user's.

    Adding the same account twice returns the first. Raises UnknownBank (422) and
    AccountNotResolved (422) when Paystack cannot resolve the number.
    """
    existing = await _bank_account_by_number(session, user_id, bank_code, account_number)
    if existing is not None:
        return existing, False
    async with released(session):  # no lock held while the bank answers (SQLite)
        resolved = await resolve_bank_account(client, bank_code, account_number)
    account = BankAccount(
        user_id=user_id,
        bank_code=bank_code,
        bank_name=resolved.bank_name,
        account_number=account_number,
        account_name=resolved.account_name,
    )
    try:
        async with session.begin_nested():
            session.add(account)
            await session.flush()
    except IntegrityError:
        won = await _bank_account_by_number(session, user_id, bank_code, account_number)
        assert won is not None
        return won, False
    return account, True


async def _bank_account_by_number(
    session: AsyncSession, user_id: str, bank_code: str, account_number: str
) -> BankAccount | None:
    stmt = select(BankAccount).where(
        BankAccount.user_id == user_id,
        BankAccount.bank_code == bank_code,
        BankAccount.account_number == account_number,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_bank_accounts(session: AsyncSession, user_id: str) -> list[BankAccount]:
    stmt = select(BankAccount).where(BankAccount.user_id == user_id).order_by(BankAccount.id)
    return list((await session.execute(stmt)).scalars())


async def get_bank_account(session: AsyncSession, user_id: str, account_id: str) -> BankAccount:
    """The caller's bank account; another user's id is BankAccountNotFound (404)."""
    account = await session.get(BankAccount, account_id)
    if account is None or account.user_id != user_id:
        raise BankAccountNotFound()
    return account


async def get_payout(session: AsyncSession, user_id: str, payout_id: str) -> Payout:
    """The caller's payout; another user's id is PayoutNotFound (404)."""
    payout = await session.get(Payout, payout_id)
    if payout is None or payout.user_id != user_id:
        raise PayoutNotFound()
    return payout


async def get_payout_events(
    session: AsyncSession, user_id: str, payout_id: str
) -> tuple[Payout, list[PayoutEvent]]:
    """The caller's payout and its transitions, oldest first; PayoutNotFound (404) otherwise."""
    payout = await get_payout(session, user_id, payout_id)
    return payout, await settlement.events_of(session, payout.id)


@dataclass(frozen=True)
class PayoutDetail:
    """A payout as its owner sees it: the payout, its bank account, its transitions (oldest
    first)."""

    payout: Payout
    bank_account: BankAccount
    events: list[PayoutEvent]


async def payout_detail(session: AsyncSession, user_id: str, payout_id: str) -> PayoutDetail:
    """The caller's payout with its bank account and transitions; PayoutNotFound (404) for
    another user's or an unknown id."""
    payout, events = await get_payout_events(session, user_id, payout_id)
    account = await get_bank_account(session, user_id, payout.bank_account_id)
    return PayoutDetail(payout, account, events)


async def list_payouts(session: AsyncSession, user_id: str, limit: int = 50) -> list[Payout]:
    stmt = select(Payout).where(Payout.user_id == user_id).order_by(Payout.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


def _fingerprint(amount: int, currency: str, bank_account_id: str) -> str:
    body = json.dumps([amount, currency, bank_account_id]).encode()
    return hashlib.sha256(body).hexdigest()


async def request_payout(
    session: AsyncSession,
    user_id: str,
    *,
    amount: int,
    currency: str,
    bank_account_id: str,
    idempotency_key: str,
    approval_threshold: int | None = None,
) -> tuple[Payout, bool]:
    """Hold ``amount`` minor units on the user's wallet and queue the transfer; above
    ``approval_threshold`` (minor units) the payout waits in ``pending_approval`` for an admin
    with TOTP (seed 001: TOTP 2FA for admin payout approvals).

    Returns ``(payout, created)``: the same Idempotency-Key with the same parameters returns
    the first payout. Raises IdempotencyKeyReused (422) for other parameters,
    BankAccountNotFound (404), CurrencyNotSupported (422) and InsufficientFunds (409, nothing
    written).
    """
    fingerprint = _fingerprint(amount, currency, bank_account_id)
    prior = await _payout_by_key(session, user_id, idempotency_key)
    if prior is not None:
        if prior.request_fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        return prior, False
    if currency not in PAYOUT_CURRENCIES:
        raise CurrencyNotSupported(details={"currency": currency})
    account = await get_bank_account(session, user_id, bank_account_id)
    wallet = await chart.ensure_wallet(session, user_id, currency)
    in_flight = await chart.ensure_payouts_in_flight(session, currency)
    payout_id = new_id("po")
    payout = Payout(
        id=payout_id,
        user_id=user_id,
        bank_account_id=account.id,
        amount=amount,
        currency=currency,
        reference=payout_id.replace("_", "-"),
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        hold_transfer_id=f"trf_{payout_id}_hold",
        status=states.entry_status(amount, approval_threshold),
    )
    try:
        async with session.begin_nested():
            session.add(payout)
            await session.flush()
    except IntegrityError:  # a concurrent request with the same key won
        won = await _payout_by_key(session, user_id, idempotency_key)
        assert won is not None
        if won.request_fingerprint != fingerprint:
            raise IdempotencyKeyReused() from None
        return won, False
    await create_transfers(
        session,
        [
            TransferSpec(
                id=payout.hold_transfer_id,
                debit_account_id=wallet.id,
                credit_account_id=in_flight.id,
                amount=amount,
                currency=currency,
                code="payout.hold",
                reference=payout.reference,
                pending=True,
            )
        ],
    )
    reason = None
    if payout.status == states.PENDING_APPROVAL:
        reason = f"above the approval threshold of {approval_threshold} minor units"
    await settlement.record_request(session, payout, f"user:{user_id}", reason)
    if payout.status == states.PENDING:
        await enqueue(session, "payouts.create_recipient", {"payout_id": payout.id})
    return payout, True


async def decide(
    session: AsyncSession, admin_id: str, payout_id: str, *, approve: bool, reason: str
) -> Payout:
    """An admin approves (the transfer is queued) or rejects (the hold is voided) a payout in
    ``pending_approval``; the caller has checked the admin's TOTP. Raises PayoutNotFound (404),
    PayoutNotAwaitingApproval (409)."""
    payout = await session.get(Payout, payout_id, with_for_update=True)
    if payout is None:
        raise PayoutNotFound()
    if payout.status != states.PENDING_APPROVAL:
        raise PayoutNotAwaitingApproval(details={"status": payout.status})
    actor = f"admin:{admin_id}"
    if approve:
        await settlement.transition(session, payout, "approve", actor, reason or None)
        await enqueue(session, "payouts.create_recipient", {"payout_id": payout.id})
    else:
        why = f"rejected by an admin: {reason}"
        await settlement.fail_payout(session, payout, why, action="reject", actor=actor)
    await session.flush()
    log.info("payout_decided", payout_id=payout.id, admin_id=admin_id, approved=approve)
    return payout


async def list_all(
    session: AsyncSession, *, status: str | None = None, limit: int = 50
) -> list[Payout]:
    """Every user's payouts, newest first (admins)."""
    stmt = select(Payout).order_by(Payout.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Payout.status == status)
    return list((await session.execute(stmt)).scalars())


async def _payout_by_key(session: AsyncSession, user_id: str, key: str) -> Payout | None:
    stmt = select(Payout).where(Payout.user_id == user_id, Payout.idempotency_key == key)
    return (await session.execute(stmt)).scalar_one_or_none()


async def payout_by_reference(
    session: AsyncSession, reference: str, *, lock: bool = False
) -> Payout | None:
    """The payout whose transfer ``reference`` (ours) is ``reference``; locked with ``lock``."""
    stmt = select(Payout).where(Payout.reference == reference)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    """``{status: n}`` over every payout (operators' metrics)."""
    rows = await session.execute(select(Payout.status, func.count()).group_by(Payout.status))
    return {str(status): int(n) for status, n in rows.all()}
