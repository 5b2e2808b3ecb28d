"""Payout use cases: wallet balances, banks, bank accounts, payouts and their settlement.

A payout puts a hold on the wallet when it is requested (a pending ledger transfer wallet →
payouts in flight), creates the Paystack recipient and the transfer as jobs, and posts or
voids the hold when Paystack settles the transfer (``transfer.success`` / ``transfer.failed``
/ ``transfer.reversed``), each confirmed with ``GET /transfer/verify/:reference`` first.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

import structlog
from cachetools import TTLCache
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kro import realtime
from kro.jobs.errors import RetryJob
from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.errors import Conflict
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.ledger.service import balances_for_owner, create_transfers
from kro.ledger.specs import PostPending, TransferSpec, VoidPending
from kro.notifications.service import notify
from kro.payouts.errors import (
    AccountNotResolved,
    BankAccountNotFound,
    CurrencyNotSupported,
    IdempotencyKeyReused,
    PayoutNotFound,
    UnknownBank,
)
from kro.payouts.models import BankAccount, Payout
from kro.providers.errors import ProviderRejected
from kro.providers.paystack.client import PaystackClient
from kro.providers.paystack.schemas import Bank, Transfer

log = structlog.get_logger("kro.payouts")
PROVIDER = "paystack"
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


async def list_banks(client: PaystackClient) -> list[Bank]:
    """Nigerian banks that support transfers (Paystack ``GET /bank``), cached for an hour."""
    key = client.base_url
    if key not in _banks:
        _banks[key] = [b for b in await client.list_banks() if b.active and b.supports_transfer]
    return _banks[key]


async def add_bank_account(
    session: AsyncSession, client: PaystackClient, user_id: str, bank_code: str, account_number: str
) -> tuple[BankAccount, bool]:
    """Add a bank account after name enquiry; returns ``(account, created)``.

    Adding the same account twice returns the first. Raises UnknownBank (422) and
    AccountNotResolved (422) when Paystack cannot resolve the number.
    """
    existing = await _bank_account_by_number(session, user_id, bank_code, account_number)
    if existing is not None:
        return existing, False
    bank = next((b for b in await list_banks(client) if b.code == bank_code), None)
    if bank is None:
        raise UnknownBank(details={"bank_code": bank_code})
    try:
        resolved = await client.resolve_account(account_number, bank_code)
    except ProviderRejected as exc:
        raise AccountNotResolved(details={"provider_message": exc.message}) from exc
    account = BankAccount(
        user_id=user_id,
        bank_code=bank_code,
        bank_name=bank.name,
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
    if approval_threshold is not None and amount > approval_threshold:
        payout.status = "pending_approval"
        await session.flush()
        return payout, True
    await enqueue(session, "payouts.create_recipient", {"payout_id": payout.id})
    return payout, True


class PayoutNotAwaitingApproval(Conflict):
    code = "payout_not_awaiting_approval"
    message = "This payout is not waiting for approval."


async def decide(
    session: AsyncSession, admin_id: str, payout_id: str, *, approve: bool, reason: str
) -> Payout:
    """An admin approves (the transfer is queued) or rejects (the hold is voided) a payout in
    ``pending_approval``; the caller has checked the admin's TOTP. Raises PayoutNotFound (404),
    PayoutNotAwaitingApproval (409)."""
    payout = await session.get(Payout, payout_id, with_for_update=True)
    if payout is None:
        raise PayoutNotFound()
    if payout.status != "pending_approval":
        raise PayoutNotAwaitingApproval(details={"status": payout.status})
    if approve:
        payout.status = "pending"
        await enqueue(session, "payouts.create_recipient", {"payout_id": payout.id})
    else:
        await fail_payout(session, payout, f"rejected by an admin: {reason}")
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


async def ensure_recipient(
    session: AsyncSession, client: PaystackClient, payout: Payout
) -> BankAccount:
    """Create the Paystack transfer recipient for the payout's bank account if missing."""
    account = await session.get(BankAccount, payout.bank_account_id)
    assert account is not None
    if account.recipient_code is None:
        recipient = await client.create_transfer_recipient(
            account.account_name, account.account_number, account.bank_code, account.currency
        )
        account.recipient_code = recipient.recipient_code
        await session.flush()
    return account


async def send_transfer(session: AsyncSession, client: PaystackClient, payout: Payout) -> None:
    """Initiate the Paystack transfer (``reference`` = ours, Paystack's idempotency key).

    A retry after an unknown outcome asks ``verify_transfer`` first and adopts what Paystack
    has, so a payout is never sent twice: only a 404 from verify means "never seen", and a
    "Duplicate Transfer Reference" answer means Paystack has it, so the job retries (RetryJob)
    until verify shows it. Any other refusal fails the payout and voids the hold.
    """
    if payout.status != "pending":
        return
    account = await session.get(BankAccount, payout.bank_account_id)
    assert account is not None and account.recipient_code is not None
    transfer = await _known_transfer(client, payout.reference)
    if transfer is None:
        try:
            transfer = await client.initiate_transfer(
                payout.amount,
                account.recipient_code,
                payout.reference,
                f"KRO payout {payout.id}",
                payout.currency,
            )
        except ProviderRejected as exc:
            if exc.provider_code == "duplicate_reference" or "duplicate" in exc.message.lower():
                raise RetryJob(
                    timedelta(seconds=30), "transfer exists; waiting for verify"
                ) from exc
            await fail_payout(session, payout, exc.message)
            return
    payout.status = "processing"
    payout.transfer_code = transfer.transfer_code
    await session.flush()
    if transfer.is_final:
        await settle_payout(session, payout, transfer)


async def _known_transfer(client: PaystackClient, reference: str) -> Transfer | None:
    """The transfer Paystack has under ``reference``, or None if it answers 404."""
    try:
        return await client.verify_transfer(reference)
    except ProviderRejected as exc:
        if exc.provider_status == 404:
            return None
        raise


async def _tell(session: AsyncSession, payout: Payout) -> None:
    """Realtime ``payout.updated`` (and so a wallet refresh) to the payout's owner."""
    await realtime.publish(
        session,
        [payout.user_id],
        "payout.updated",
        {"payout_id": payout.id, "status": payout.status, "amount": payout.amount},
        dedupe_key=f"realtime:{payout.id}:{payout.status}",
    )
    event = {"success": "payout.sent", "failed": "payout.failed"}.get(payout.status)
    if event is not None:
        context = {"payout_id": payout.id, "amount": payout.amount, "currency": payout.currency}
        if payout.status == "failed":
            context["reason"] = payout.failure_reason or ""
        await notify(session, payout.user_id, event, context, dedupe_key=payout.id)


async def fail_payout(session: AsyncSession, payout: Payout, reason: str) -> None:
    """Void the wallet hold; the money is available again."""
    await create_transfers(
        session, [VoidPending(id=f"trf_{payout.id}_void", pending_id=payout.hold_transfer_id)]
    )
    payout.status, payout.failure_reason = "failed", reason[:200]
    payout.completed_at = utcnow()
    await session.flush()
    await _tell(session, payout)


async def settle_payout(session: AsyncSession, payout: Payout, verified: Transfer) -> str:
    """Apply Paystack's verified transfer status to the payout; returns what happened.

    - ``success``: post the hold (wallet → in flight) and move in flight → provider clearing,
      plus Paystack's transfer fee (provider fees ← clearing), in one atomic batch.
    - ``failed`` / ``abandoned`` / ``blocked`` / ``rejected`` while processing: void the hold.
    - ``reversed``: void the hold if never posted; after success, return the money to the
      wallet (clearing → wallet).
    - anything else (``pending``, ``otp``): nothing yet.
    """
    status = verified.status
    if status == "success" and payout.status in ("pending", "processing"):
        await _post_success(session, payout, verified)
        return "settled"
    if status in ("failed", "abandoned", "blocked", "rejected", "reversed") and payout.status in (
        "pending",
        "processing",
    ):
        await fail_payout(session, payout, verified.gateway_response or f"transfer {status}")
        payout.status = "reversed" if status == "reversed" else "failed"
        return payout.status
    if status == "reversed" and payout.status == "success":
        await _reverse_success(session, payout)
        return "reversed"
    if status == "success" and payout.status in ("failed", "reversed"):
        # We released the hold, yet Paystack paid: the wallet may have spent it again.
        payout.status = "needs_review"
        await session.flush()
        log.error("payout_paid_after_release", payout_id=payout.id, reference=payout.reference)
        return "needs_review: paid after the hold was released"
    return f"no change (payout {payout.status}, transfer {status})"


async def _post_success(session: AsyncSession, payout: Payout, verified: Transfer) -> None:
    clearing = await chart.ensure_provider_clearing(session, PROVIDER, payout.currency)
    in_flight = await chart.ensure_payouts_in_flight(session, payout.currency)
    batch: list[PostPending | TransferSpec] = [
        PostPending(id=f"trf_{payout.id}_post", pending_id=payout.hold_transfer_id),
        TransferSpec(
            id=f"trf_{payout.id}_out",
            debit_account_id=in_flight.id,
            credit_account_id=clearing.id,
            amount=payout.amount,
            currency=payout.currency,
            code="payout.sent",
            reference=payout.reference,
        ),
    ]
    fee = verified.fee_charged or 0
    if fee > 0:
        fees = await chart.ensure_provider_fees(session, PROVIDER, payout.currency)
        batch.append(
            TransferSpec(
                id=f"trf_{payout.id}_fee",
                debit_account_id=fees.id,
                credit_account_id=clearing.id,
                amount=fee,
                currency=payout.currency,
                code="payout.provider_fee",
                reference=payout.reference,
            )
        )
    await create_transfers(session, batch)
    payout.status, payout.provider_fee, payout.completed_at = "success", fee, utcnow()
    payout.transfer_code = verified.transfer_code
    await session.flush()
    await _tell(session, payout)


async def _reverse_success(session: AsyncSession, payout: Payout) -> None:
    """Paystack returned a sent transfer (and its fee) to our balance: the money goes back to
    the wallet; the fee back out of the fee expense."""
    clearing = await chart.ensure_provider_clearing(session, PROVIDER, payout.currency)
    wallet = await chart.ensure_wallet(session, payout.user_id, payout.currency)
    batch = [
        TransferSpec(
            id=f"trf_{payout.id}_reversal",
            debit_account_id=clearing.id,
            credit_account_id=wallet.id,
            amount=payout.amount,
            currency=payout.currency,
            code="payout.reversed",
            reference=payout.reference,
        )
    ]
    if payout.provider_fee > 0:
        fees = await chart.ensure_provider_fees(session, PROVIDER, payout.currency)
        batch.append(
            TransferSpec(
                id=f"trf_{payout.id}_fee_reversal",
                debit_account_id=clearing.id,
                credit_account_id=fees.id,
                amount=payout.provider_fee,
                currency=payout.currency,
                code="payout.provider_fee_reversed",
                reference=payout.reference,
            )
        )
    await create_transfers(session, batch)
    payout.status, payout.completed_at = "reversed", utcnow()
    await session.flush()
    await _tell(session, payout)


async def payout_by_reference(session: AsyncSession, reference: str) -> Payout | None:
    stmt = select(Payout).where(Payout.reference == reference).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()
