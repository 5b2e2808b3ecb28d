"""Use cases for accepting money: initialize, verify, pay/decline on checkout, refund.

Every function takes the session and only flushes; the caller owns the transaction. Webhooks
are queued in the same transaction as the state change (``webhooks.enqueue``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.sandbox.paystack import balances, webhooks
from kro.sandbox.paystack.config import PaystackSandboxConfig
from kro.sandbox.paystack.errors import PaystackApiError, transaction_not_found
from kro.sandbox.paystack.fees import transaction_fee
from kro.sandbox.paystack.models import Customer, Refund, Transaction
from kro.sandbox.paystack.shapes import (
    TEST_CARD_AUTHORIZATION,
    refund_event_data,
    transaction_data,
)
from kro.sandbox.paystack.util import new_access_code, new_reference, random_code


@dataclass(frozen=True)
class InitializeRequest:
    """Validated ``POST /transaction/initialize`` input; ``amount`` in minor units."""

    email: str
    amount: int
    currency: str
    reference: str | None
    callback_url: str | None
    metadata: Any
    channels: list[str] | None
    ip_address: str | None


async def _customer(session: AsyncSession, integration: int, email: str) -> Customer:
    customer = await session.scalar(
        select(Customer).where(Customer.integration == integration, Customer.email == email)
    )
    if customer is None:
        customer = Customer(
            integration=integration,
            email=email,
            customer_code="CUS_" + random_code(15),
            created_at=clock.now(),
        )
        session.add(customer)
        await session.flush()
    return customer


def duplicate_reference() -> PaystackApiError:
    return PaystackApiError(
        "Duplicate Transaction Reference",
        code="duplicate_reference",
        next_step="Generate and pass a new transaction reference for every transaction",
    )


async def initialize(
    session: AsyncSession, integration: int, req: InitializeRequest
) -> Transaction:
    """Create an ``abandoned`` transaction (not yet attempted), unique by reference."""
    reference = req.reference or new_reference()
    exists = await session.scalar(
        select(Transaction.id).where(
            Transaction.integration == integration, Transaction.reference == reference
        )
    )
    if exists is not None:
        raise duplicate_reference()
    customer = await _customer(session, integration, req.email)
    tx = Transaction(
        integration=integration,
        reference=reference,
        access_code=new_access_code(),
        amount=req.amount,
        currency=req.currency,
        customer_id=customer.id,
        status="abandoned",
        channel="card",
        callback_url=req.callback_url,
        metadata_=req.metadata,
        channels=req.channels,
        ip_address=req.ip_address,
        created_at=clock.now(),
    )
    session.add(tx)
    try:
        await session.flush()
    except IntegrityError as exc:
        if "reference" not in str(exc.orig):
            raise
        raise duplicate_reference() from None
    return tx


async def find(
    session: AsyncSession, integration: int, id_or_reference: str, *, for_update: bool = False
) -> Transaction:
    """A transaction of ``integration`` by reference (or numeric id); else Paystack's 400.
    ``for_update`` locks the row (PostgreSQL) for a change that depends on its state."""
    query = select(Transaction).where(Transaction.integration == integration)
    if for_update:
        query = query.with_for_update()
    tx = await session.scalar(query.where(Transaction.reference == id_or_reference))
    if tx is None and id_or_reference.isdigit():
        tx = await session.scalar(query.where(Transaction.id == int(id_or_reference)))
    if tx is None:
        raise transaction_not_found()
    return tx


async def by_access_code(
    session: AsyncSession, access_code: str, *, for_update: bool = False
) -> Transaction | None:
    query = select(Transaction).where(Transaction.access_code == access_code)
    return await session.scalar(query.with_for_update() if for_update else query)


async def customer_of(session: AsyncSession, tx: Transaction) -> Customer:
    customer = await session.get(Customer, tx.customer_id)
    assert customer is not None
    return customer


async def data_of(
    session: AsyncSession, config: PaystackSandboxConfig, tx: Transaction
) -> dict[str, Any]:
    """The verify-shaped Transaction object of ``tx``."""
    return transaction_data(tx, await customer_of(session, tx), domain=config.domain)


async def pay(
    session: AsyncSession,
    config: PaystackSandboxConfig,
    tx: Transaction,
    *,
    ip_address: str | None = None,
) -> bool:
    """Complete ``tx`` with the test card: ``success``, fees, ``paid_at``, ``charge.success``.

    A transaction already paid (or refunded) is left alone: returns ``False``. A declined one
    may be paid on a second attempt, as on Paystack's checkout. ``ip_address``: the payer's.
    """
    if tx.status not in ("abandoned", "failed"):
        return False
    now = clock.now()
    tx.ip_address = ip_address or tx.ip_address
    tx.status = "success"
    tx.gateway_response = "Successful"
    tx.fees = transaction_fee(
        tx.amount,
        percent_bps=config.percent_bps,
        flat=config.flat,
        flat_waived_below=config.flat_waived_below,
        cap=config.cap,
    )
    tx.authorization = {
        **TEST_CARD_AUTHORIZATION,
        "authorization_code": "AUTH_" + random_code(10),
        "signature": "SIG_" + random_code(20),
    }
    tx.attempted_at = now
    tx.paid_at = now
    await balances.credit(session, config, tx.integration, tx.currency, tx.amount - tx.fees)
    customer = await customer_of(session, tx)
    await webhooks.enqueue(
        session,
        integration=tx.integration,
        event="charge.success",
        data=transaction_data(tx, customer, domain=config.domain, camel=False),
        reference=tx.reference,
    )
    from kro.sandbox.paystack import subscriptions  # a plan checkout subscribes the payer

    await subscriptions.on_paid(session, config, tx)
    await session.flush()
    return True


async def decline(session: AsyncSession, tx: Transaction) -> bool:
    """Decline an unattempted ``tx``: ``failed`` (Paystack sends no webhook for it)."""
    if tx.status != "abandoned":
        return False
    tx.status = "failed"
    tx.gateway_response = "Declined"
    tx.attempted_at = clock.now()
    await session.flush()
    return True


async def _refunded_so_far(session: AsyncSession, tx: Transaction) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.transaction_id == tx.id, Refund.status != "failed"
        )
    )
    return int(total or 0)


async def create_refund(
    session: AsyncSession,
    config: PaystackSandboxConfig,
    tx: Transaction,
    *,
    amount: int | None,
    customer_note: str | None,
    merchant_note: str | None,
) -> Refund:
    """Queue a refund of ``amount`` kobo (default: what is left) of a successful ``tx``.

    Debits the balance now; ``refund.pending`` is sent now and ``refund.processed`` when the
    loop processes it (after ``config.refund_process_after``).
    """
    if tx.status == "reversed":
        raise PaystackApiError("Transaction has been fully reversed", code="transaction_reversed")
    if tx.status != "success":
        raise PaystackApiError(
            "Cannot refund a transaction that is not successful", code="invalid_transaction"
        )
    remaining = tx.amount - await _refunded_so_far(session, tx)
    if remaining <= 0:
        raise PaystackApiError("Transaction has been fully reversed", code="transaction_reversed")
    value = remaining if amount is None else amount
    if value > remaining:
        raise PaystackApiError(
            "Refund amount cannot be more than the unrefunded amount of the transaction",
            code="invalid_amount",
        )
    await balances.debit(session, config, tx.integration, tx.currency, value)
    now = clock.now()
    refund = Refund(
        integration=tx.integration,
        transaction_id=tx.id,
        amount=value,
        currency=tx.currency,
        status="pending",
        customer_note=customer_note or f"Refund for transaction {tx.reference}",
        merchant_note=merchant_note
        or f"Refund for transaction {tx.reference} by {config.merchant_email}",
        process_at=now + timedelta(seconds=config.refund_process_after),
        created_at=now,
        updated_at=now,
    )
    session.add(refund)
    await session.flush()
    customer = await customer_of(session, tx)
    await webhooks.enqueue(
        session,
        integration=tx.integration,
        event="refund.pending",
        data=refund_event_data(refund, tx, customer, config),
        reference=tx.reference,
    )
    return refund


async def process_due_refunds(session: AsyncSession, config: PaystackSandboxConfig) -> int:
    """Mark due pending refunds ``processed``; a fully refunded transaction → ``reversed``."""
    now = clock.now()
    due = (
        await session.scalars(
            select(Refund)
            .where(Refund.status == "pending", Refund.process_at <= now)
            .order_by(Refund.id)
            .limit(50)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for refund in due:
        tx = await session.get(Transaction, refund.transaction_id)
        assert tx is not None
        refund.status = "processed"
        refund.refunded_at = now
        refund.updated_at = now
        refund.refund_reference = "REF_" + random_code(14)
        await session.flush()
        if await _refunded_so_far(session, tx) >= tx.amount:
            tx.status = "reversed"
        customer = await customer_of(session, tx)
        await webhooks.enqueue(
            session,
            integration=tx.integration,
            event="refund.processed",
            data=refund_event_data(refund, tx, customer, config),
            reference=tx.reference,
        )
    return len(due)
