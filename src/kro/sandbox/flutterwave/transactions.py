"""Use cases on standard (hosted) payments: create, pay, decline, find, list; their shapes.

Every function takes the session and only flushes; the caller owns the transaction.

:func:`transaction_data` is what ``GET /v3/transactions/:id/verify`` answers (providers.md 2,
from the Node SDK's documentation): ``id, tx_ref, flw_ref, device_fingerprint, amount,
currency, charged_amount, app_fee, merchant_fee, processor_response, auth_model, ip,
narration, status, payment_type, created_at, account_id, card{…}, meta, amount_settled,
customer{id, name, phone_number, email, created_at}``, amounts in major units. Assumptions
[U]: a link nobody has paid yet is already a ``pending`` transaction with an id (real
Flutterwave may answer "No transaction was found" until the customer tries to pay);
``failed`` is final (a real retry on the same link creates another transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.sandbox.flutterwave import webhooks
from kro.sandbox.flutterwave.config import FlutterwaveMerchant, FlutterwaveSandboxConfig
from kro.sandbox.flutterwave.errors import transaction_not_found, validation
from kro.sandbox.flutterwave.models import Transaction
from kro.sandbox.flutterwave.util import bps_of, major, new_flw_ref, new_link_token, stamp

CHARGE_COMPLETED = "charge.completed"
_TEST_CARD = {
    "first_6digits": "553188",
    "last_4digits": "2950",
    "issuer": "MASTERCARD  CREDIT",
    "country": "NG",
    "type": "MASTERCARD",
    "expiry": "09/32",
}


@dataclass(frozen=True)
class NewPayment:
    """A validated ``POST /v3/payments`` body; ``amount`` in minor units."""

    tx_ref: str
    amount: int
    currency: str
    customer_email: str
    customer_name: str | None = None
    customer_phone: str | None = None
    redirect_url: str | None = None
    customizations: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    payment_options: str = "card"


@dataclass(frozen=True)
class ListFilter:
    """``GET /v3/transactions`` filters: ``start``/``end`` days inclusive, 1-based ``page``."""

    start: date | None = None
    end: date | None = None
    status: str | None = None
    tx_ref: str | None = None
    page: int = 1


def app_fee(config: FlutterwaveSandboxConfig, amount: int, currency: str) -> int:
    """Flutterwave's fee on ``amount`` minor units: ``fee_bps``, capped for NGN (assumption)."""
    fee = bps_of(amount, config.fee_bps)
    if currency == "NGN" and config.fee_cap:
        fee = min(fee, config.fee_cap)
    return fee


async def create(
    session: AsyncSession, config: FlutterwaveSandboxConfig, account_id: int, new: NewPayment
) -> Transaction:
    """Record a ``pending`` payment with a fresh hosted-link token. A ``tx_ref`` the account
    already used is a 400 [U: Flutterwave's exact wording is not documented]."""
    taken = await session.scalar(
        select(Transaction.id).where(
            Transaction.account_id == account_id, Transaction.tx_ref == new.tx_ref
        )
    )
    if taken is not None:
        raise validation("Duplicate tx_ref: a transaction with this reference already exists")
    now = clock.now()
    transaction = Transaction(
        account_id=account_id,
        tx_ref=new.tx_ref,
        token=new_link_token(),
        amount=new.amount,
        currency=new.currency,
        app_fee=app_fee(config, new.amount, new.currency),
        amount_refunded=0,
        status="pending",
        payment_options=new.payment_options,
        customer_email=new.customer_email,
        customer_name=new.customer_name,
        customer_phone=new.customer_phone,
        redirect_url=new.redirect_url,
        customizations=new.customizations or {},
        meta=new.meta,
        created_at=now,
        updated_at=now,
    )
    session.add(transaction)
    await session.flush()
    return transaction


async def complete(
    session: AsyncSession,
    config: FlutterwaveSandboxConfig,
    transaction: Transaction,
    *,
    successful: bool,
) -> Transaction:
    """The customer's payment succeeds or is declined: the transaction becomes
    ``successful`` | ``failed`` and ``charge.completed`` is queued (for failures too,
    providers.md 2). A completed transaction changes no more."""
    if transaction.status != "pending":
        return transaction
    now = clock.now()
    transaction.status = "successful" if successful else "failed"
    transaction.flw_ref = new_flw_ref()
    transaction.processor_response = (
        "Approved. Successful" if successful else "Declined by the issuing bank"
    )
    transaction.completed_at = transaction.updated_at = now
    await session.flush()
    merchant = config.by_account_id(transaction.account_id)
    await webhooks.enqueue(
        session, transaction, CHARGE_COMPLETED, webhook_payload(transaction, merchant)
    )
    return transaction


async def by_token(
    session: AsyncSession, token: str, *, for_update: bool = False
) -> Transaction | None:
    """A transaction by its hosted-link token (any account: the link is the credential)."""
    query = select(Transaction).where(Transaction.token == token)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def by_id(
    session: AsyncSession, account_id: int | None, transaction_id: int, *, for_update: bool = False
) -> Transaction:
    """The account's transaction by Flutterwave id (any account when ``account_id`` is None);
    "No transaction was found for this id" (404) otherwise."""
    query = select(Transaction).where(Transaction.id == transaction_id)
    if account_id is not None:
        query = query.where(Transaction.account_id == account_id)
    if for_update:
        query = query.with_for_update()
    transaction = await session.scalar(query)
    if transaction is None:
        raise transaction_not_found()
    return transaction


async def by_tx_ref(session: AsyncSession, account_id: int, tx_ref: str) -> Transaction:
    """The account's transaction by the merchant's ``tx_ref``; the 404 otherwise."""
    transaction = await session.scalar(
        select(Transaction).where(
            Transaction.account_id == account_id, Transaction.tx_ref == tx_ref
        )
    )
    if transaction is None:
        raise transaction_not_found()
    return transaction


async def page_of(
    session: AsyncSession, account_id: int, filters: ListFilter, page_size: int
) -> tuple[list[Transaction], int]:
    """One page (newest first) of the account's transactions and the total that match; days
    are UTC days [U: Flutterwave's day boundary is not documented]."""
    query = select(Transaction).where(Transaction.account_id == account_id)
    if filters.start is not None:
        query = query.where(Transaction.created_at >= _midnight(filters.start))
    if filters.end is not None:
        query = query.where(Transaction.created_at < _midnight(filters.end + timedelta(days=1)))
    if filters.status:
        query = query.where(Transaction.status == filters.status)
    if filters.tx_ref:
        query = query.where(Transaction.tx_ref == filters.tx_ref)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(Transaction.created_at.desc(), Transaction.id.desc())
        .offset((filters.page - 1) * page_size)
        .limit(page_size)
    )
    return list(rows.all()), total


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def settled(transaction: Transaction) -> int:
    """What the merchant gets (minor units): the amount less the fee, once successful."""
    return transaction.amount - transaction.app_fee if transaction.status == "successful" else 0


def _customer(t: Transaction) -> dict[str, Any]:
    return {
        "id": 200_000 + t.id,  # Flutterwave's customer id; one per payment here [U]
        "name": t.customer_name or "Anonymous customer",
        "phone_number": t.customer_phone or "N/A",
        "email": t.customer_email,
        "created_at": stamp(t.created_at),
    }


def _common(t: Transaction, merchant: FlutterwaveMerchant | None) -> dict[str, Any]:
    """Fields verify and ``charge.completed`` share (major units)."""
    business = merchant.business_name if merchant else "Flutterwave merchant"
    return {
        "id": t.id,
        "tx_ref": t.tx_ref,
        "flw_ref": t.flw_ref,
        "device_fingerprint": "N/A",
        "amount": major(t.amount, t.currency),
        "currency": t.currency,
        "charged_amount": major(t.amount, t.currency),
        "app_fee": major(t.app_fee, t.currency),
        "merchant_fee": 0,
        "processor_response": t.processor_response or "Transaction pending",
        "auth_model": "PIN" if t.status != "pending" else None,
        "ip": "127.0.0.1",
        "narration": f"CARD Transaction to {business}",
        "status": t.status,
        "payment_type": t.payment_type,
        "created_at": stamp(t.created_at),
        "account_id": t.account_id,
    }


def transaction_data(t: Transaction, merchant: FlutterwaveMerchant | None) -> dict[str, Any]:
    """The transaction as verify and the list endpoint report it (major units)."""
    card = {**_TEST_CARD, "token": f"flw-t1nf-{t.token}-m03k"} if t.status != "pending" else None
    return {
        **_common(t, merchant),
        "card": card,
        "meta": t.meta,
        "amount_settled": major(settled(t), t.currency),
        "customer": _customer(t),
    }


def webhook_payload(t: Transaction, merchant: FlutterwaveMerchant | None) -> dict[str, Any]:
    """``charge.completed``: ``{"event", "data", "event.type"}`` (providers.md 2 [S])."""
    data = {**_common(t, merchant), "customer": _customer(t), "card": dict(_TEST_CARD)}
    return {"event": CHARGE_COMPLETED, "data": data, "event.type": "CARD_TRANSACTION"}
