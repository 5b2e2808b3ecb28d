"""Payment use cases: open a checkout, take in a webhook, confirm a charge.

Rules (DESIGN.md section 5): a webhook is a hint — value moves only after the provider's
verify endpoint says ``success`` with the expected amount and currency (Paystack: "verify
the transaction before giving value"). Duplicates change nothing: the inbox is unique on
``(provider, event_key)`` and a completed payment is never completed twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kro.jobs.errors import RetryJob
from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.ledger.service import create_transfers
from kro.ledger.specs import TransferSpec
from kro.payments.errors import InvalidWebhookSignature, PaymentNotFound
from kro.payments.models import Payment, WebhookEvent
from kro.providers.paystack.client import PaystackClient
from kro.providers.paystack.schemas import Transaction
from kro.providers.paystack.webhooks import (
    InvalidWebhookPayload,
    event_key,
    parse_event,
    verify_signature,
)

log = structlog.get_logger("kro.payments")
PAYSTACK = "paystack"

MAX_EVENT_KEY = 200  # webhook_events.event_key

# Paystack transaction statuses that are not an outcome yet.
PENDING_STATUSES = frozenset({"ongoing", "pending", "processing", "queued"})

# Which job handles which provider event (by prefix); the payload is ``{"event_id": …}``.
EVENT_ROUTES: dict[str, str] = {
    "charge.": "payments.confirm_charge",
    "transfer.": "payouts.settle_transfer",
    "refund.": "payments.settle_refund",
}


@dataclass(frozen=True)
class CheckoutRequest:
    """What a product asks for: collect ``amount`` minor units of ``currency`` from ``email``
    and, once confirmed, credit ledger account ``credit_account_id``; then run the job
    ``"{purpose}.payment_completed"`` with ``{"payment_id", "purpose_id"}``."""

    purpose: str
    purpose_id: str
    payer_id: str | None
    email: str
    amount: int
    currency: str
    credit_account_id: str
    callback_url: str | None = None
    metadata: dict[str, Any] | None = None


async def open_checkout(
    session: AsyncSession, client: PaystackClient, request: CheckoutRequest
) -> Payment:
    """Initialise a Paystack transaction and record the pending payment.

    Raises a ProviderError (502) if Paystack refuses or cannot be reached; nothing is written
    then.
    """
    payment_id = new_id("pay")
    reference = payment_id.replace("_", "-")
    init = await client.initialize_transaction(
        email=request.email,
        amount=request.amount,
        currency=request.currency,
        reference=reference,
        callback_url=request.callback_url,
        metadata={**(request.metadata or {}), "payment_id": payment_id},
    )
    payment = Payment(
        id=payment_id,
        provider=PAYSTACK,
        reference=reference,
        amount=request.amount,
        currency=request.currency,
        purpose=request.purpose,
        purpose_id=request.purpose_id,
        payer_id=request.payer_id,
        customer_email=request.email,
        credit_account_id=request.credit_account_id,
        authorization_url=init.authorization_url,
        access_code=init.access_code,
    )
    session.add(payment)
    await session.flush()
    return payment


async def get_payment(session: AsyncSession, payment_id: str) -> Payment:
    """Raises PaymentNotFound (404)."""
    payment = await session.get(Payment, payment_id)
    if payment is None:
        raise PaymentNotFound()
    return payment


async def receive_paystack_webhook(
    session: AsyncSession, raw_body: bytes, signature: str | None, secret_key: str
) -> tuple[WebhookEvent, bool]:
    """Verify ``x-paystack-signature`` on the raw body, store the event in the inbox and queue
    its processing. Returns ``(event, is_new)``; a duplicate only bumps ``deliveries``.

    Raises InvalidWebhookSignature (401) on a forged or missing signature, and
    InvalidWebhookPayload (400) on a body that is not a Paystack event; nothing is stored then.
    """
    if not verify_signature(raw_body, signature, secret_key):
        raise InvalidWebhookSignature()
    event = parse_event(raw_body)
    key = event_key(event)
    job = next(
        (name for prefix, name in EVENT_ROUTES.items() if event.event.startswith(prefix)), None
    )
    return await store_in_inbox(session, PAYSTACK, key, event.event, raw_body, job)


async def store_in_inbox(
    session: AsyncSession,
    provider: str,
    key: str,
    event_type: str,
    raw_body: bytes,
    job: str | None,
    job_payload: dict[str, Any] | None = None,
) -> tuple[WebhookEvent, bool]:
    """Store a verified event once per ``(provider, key)`` and queue ``job`` with
    ``{"event_id", **job_payload}`` (None: stored as ``ignored``). Returns ``(event, is_new)``;
    a duplicate only bumps ``deliveries``. Raises InvalidWebhookPayload (400) on a body that
    is not UTF-8."""
    try:
        payload = raw_body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidWebhookPayload() from None
    if len(key) > MAX_EVENT_KEY:  # keep the unique key within its column, still stable
        key = f"{event_type[:64]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    existing = await _inbox_row(session, provider, key)
    if existing is not None:
        await session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == existing.id)
            .values(deliveries=WebhookEvent.deliveries + 1)
        )
        return existing, False
    row = WebhookEvent(
        provider=provider, event_key=key, event_type=event_type[:64], payload=payload
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # the same event arrived concurrently and won the insert
        won = await _inbox_row(session, provider, key)
        assert won is not None
        return won, False
    if job is None:
        row.status, row.outcome, row.processed_at = "ignored", "event not handled", utcnow()
    else:
        payload_ = {"event_id": row.id, **(job_payload or {})}
        await enqueue(session, job, payload_, dedupe_key=f"webhook:{row.id}")
    return row, True


async def _inbox_row(session: AsyncSession, provider: str, key: str) -> WebhookEvent | None:
    stmt = select(WebhookEvent).where(
        WebhookEvent.provider == provider, WebhookEvent.event_key == key
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def finish_event(event: WebhookEvent, status: str, outcome: str) -> None:
    """Record what processing an inbox event did (``processed`` or ``ignored`` and why)."""
    event.status, event.outcome, event.processed_at = status, outcome[:200], utcnow()
    log.info("webhook_event_finished", event_id=event.id, status=status, outcome=outcome)


async def confirm_charge(
    session: AsyncSession, client: PaystackClient, event: WebhookEvent
) -> Payment | None:
    """Process a ``charge.success`` from the inbox: verify with Paystack, then complete the
    payment and post it to the ledger. Returns the payment completed now, else ``None``.

    Changes nothing when the reference is unknown, the payment is already completed (a
    duplicate), Paystack does not report ``success``, or the verified amount/currency differ
    from what we asked for (the payment goes to ``needs_review``; no value moves).
    """
    data = parse_event(event.payload.encode()).data
    reference = str(data.get("reference") or "")
    payment = (
        await session.execute(
            select(Payment).where(Payment.reference == reference).with_for_update()
        )
    ).scalar_one_or_none()
    if payment is None:
        finish_event(event, "ignored", f"unknown reference {reference!r}")
        return None
    if payment.status != "pending":
        finish_event(event, "ignored", f"payment already {payment.status}")
        return None
    verified = await client.verify_transaction(reference)
    if verified.status in PENDING_STATUSES:  # the event ran ahead of Paystack's own record
        raise RetryJob(timedelta(seconds=30), f"transaction still {verified.status}")
    if not verified.succeeded:
        finish_event(event, "ignored", f"verify says {verified.status}")
        return None
    if verified.amount != payment.amount or verified.currency != payment.currency:
        payment.status = "needs_review"
        payment.failure_reason = (
            f"verified {verified.amount} {verified.currency}, "
            f"expected {payment.amount} {payment.currency}"
        )
        finish_event(event, "ignored", f"amount mismatch: {payment.failure_reason}")
        return None
    await complete_payment(session, payment, verified)
    finish_event(event, "processed", f"payment {payment.id} completed")
    return payment


async def complete_payment(session: AsyncSession, payment: Payment, verified: Transaction) -> None:
    """Complete a Paystack payment from its verified transaction (see :func:`post_collection`)."""
    await post_collection(
        session,
        payment,
        fee=verified.fees or 0,
        provider_transaction_id=str(verified.id),
        paid_at=verified.paid_at,
    )


async def post_collection(
    session: AsyncSession,
    payment: Payment,
    *,
    fee: int,
    provider_transaction_id: str | None,
    paid_at: datetime | None,
) -> None:
    """Post a verified collection of exactly ``payment.amount`` (minor units) and complete
    ``payment``; ``fee`` minor units of provider fee. Queues ``{purpose}.payment_completed``.
    Any provider: Paystack, Fincra.

    Ledger (one atomic batch, ids derived from the payment so a retry is a no-op)::

        debit provider clearing   amount → credit the product's account
        debit provider fees       fee    → credit provider clearing
    """
    clearing = await chart.ensure_provider_clearing(session, payment.provider, payment.currency)
    transfers = [
        TransferSpec(
            id=f"trf_{payment.id}_in",
            debit_account_id=clearing.id,
            credit_account_id=payment.credit_account_id,
            amount=payment.amount,
            currency=payment.currency,
            code="payment.collected",
            reference=payment.reference,
        )
    ]
    if fee > 0:
        fees = await chart.ensure_provider_fees(session, payment.provider, payment.currency)
        transfers.append(
            TransferSpec(
                id=f"trf_{payment.id}_fee",
                debit_account_id=fees.id,
                credit_account_id=clearing.id,
                amount=fee,
                currency=payment.currency,
                code="payment.provider_fee",
                reference=payment.reference,
            )
        )
    await create_transfers(session, transfers)
    payment.status = "completed"
    payment.provider_fee = fee
    payment.provider_transaction_id = (provider_transaction_id or "")[:64] or None
    payment.paid_at = paid_at or utcnow()
    await session.flush()
    await enqueue(
        session,
        f"{payment.purpose}.payment_completed",
        {"payment_id": payment.id, "purpose_id": payment.purpose_id},
        dedupe_key=f"payment_completed:{payment.id}",
    )
    log.info("fincra_payment_completed", payment_id=payment.id, fee=fee)


async def completed_payment_for(
    session: AsyncSession, purpose: str, purpose_id: str
) -> Payment | None:
    """A payment for ``(purpose, purpose_id)`` that was received (completed or in review)."""
    stmt = select(Payment).where(
        Payment.purpose == purpose,
        Payment.purpose_id == purpose_id,
        Payment.status.in_(("completed", "needs_review")),
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def pay_from_wallet(
    session: AsyncSession, request: CheckoutRequest, wallet_account_id: str
) -> Payment:
    """Pay ``request.amount`` from the payer's KRO balance: one ledger transfer
    wallet → ``request.credit_account_id``, and a payment that is ``completed`` at once
    (provider ``wallet``; refunds go back to the wallet). Raises InsufficientFunds (409) when
    the wallet's available balance does not cover it; nothing is written then."""
    payment_id = new_id("pay")
    payment = Payment(
        id=payment_id,
        provider="wallet",
        reference=payment_id.replace("_", "-"),
        amount=request.amount,
        currency=request.currency,
        status="completed",
        purpose=request.purpose,
        purpose_id=request.purpose_id,
        payer_id=request.payer_id,
        customer_email=request.email,
        credit_account_id=request.credit_account_id,
        paid_at=utcnow(),
    )
    session.add(payment)
    await session.flush()
    await create_transfers(
        session,
        [
            TransferSpec(
                id=f"trf_{payment.id}_in",
                debit_account_id=wallet_account_id,
                credit_account_id=request.credit_account_id,
                amount=request.amount,
                currency=request.currency,
                code="payment.from_wallet",
                reference=payment.reference,
            )
        ],
    )
    return payment
