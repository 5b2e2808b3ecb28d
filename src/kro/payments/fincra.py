"""Card (and bank-transfer) funding through Fincra's hosted checkout (issue 4 s.3).

The payer is sent to Fincra's checkout ``link`` (``open_fincra_checkout``) and pays there.
Fincra POSTs ``charge.successful`` to ``/v1/webhooks/fincra``; :func:`receive_fincra_webhook`
checks its ``signature`` (hex HMAC-SHA512 keyed with the webhook secret), stores it in the
inbox once per ``(provider "fincra", event key)`` and queues :data:`CONFIRM_JOB`. The job
(:func:`confirm_fincra_charge`) asks Fincra's verify endpoint by our reference before anything
moves (verify before value; Fincra's own advice), then:

=========================================  ===================================================
verified payment                           effect
=========================================  ===================================================
``success``, the amount and currency we    ledger: clearing → the product's account (amount),
asked for                                  provider fees → clearing (Fincra's fee, VAT in);
                                           payment ``completed``; job
                                           ``{purpose}.payment_completed``
``success``, another amount or currency    payment ``needs_review``; nothing moves
still pending                              asked again later (RetryJob), then ignored
failed / unknown to Fincra / not ours      nothing (the event says why)
=========================================  ===================================================

Amounts are minor units; ledger ids derive from the payment, so a re-run posts nothing twice.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kro.jobs.errors import RetryJob
from kro.jobs.service import enqueue
from kro.kit.ids import new_id
from kro.payments.errors import InvalidWebhookSignature
from kro.payments.models import Payment, WebhookEvent
from kro.payments.service import MAX_EVENT_KEY, CheckoutRequest, finish_event, post_collection
from kro.providers.errors import ProviderRejected
from kro.providers.fincra import (
    PAYMENT_NOT_FOUND,
    PENDING_STATUSES,
    FincraClient,
    FincraPayment,
    InvalidWebhookPayload,
    event_key,
    parse_event,
    verify_signature,
)
from kro.settings import Settings

log = structlog.get_logger("kro.payments.fincra")
FINCRA = "fincra"
CONFIRM_JOB = "payments.confirm_fincra"
HANDLED_EVENTS = frozenset({"charge.successful"})
# A webhook whose payment Fincra still reports pending is asked about again this many times,
# half a minute apart, before it is ignored (Fincra sends the webhook only once it succeeded).
PENDING_ATTEMPTS = 3
PENDING_DELAY = timedelta(seconds=30)


def fincra_client(settings: Settings) -> FincraClient:
    """A Fincra client for ``KRO_FINCRA_BASE_URL`` and the keys.

    Use as ``async with fincra_client(settings) as client:``.
    """
    return FincraClient(
        settings.fincra_base_url,
        settings.fincra_secret_key,
        settings.fincra_public_key,
        settings.fincra_business_id,
        timeout=settings.fincra_timeout,
    )


async def open_fincra_checkout(
    session: AsyncSession,
    client: FincraClient,
    request: CheckoutRequest,
    *,
    customer_name: str | None = None,
) -> Payment:
    """Create a Fincra checkout for ``request`` and record the pending payment.

    ``reference`` is ours (sent to Fincra, which verifies by it); ``authorization_url`` is
    Fincra's checkout ``link`` and ``access_code`` Fincra's own reference. Fincra requires a
    customer name: ``customer_name``, else ``request.metadata["customer_name"]``, else the
    email. The fee is borne by the business (the customer pays exactly ``request.amount``).

    Raises a ProviderError (502-504) if Fincra refuses or cannot be reached; nothing is
    written then.
    """
    payment_id = new_id("pay")
    reference = payment_id.replace("_", "-")
    metadata = {**(request.metadata or {}), "payment_id": payment_id}
    name = customer_name or str(metadata.get("customer_name") or request.email)
    link = await client.initiate_checkout(
        amount=request.amount,
        currency=request.currency,
        reference=reference,
        customer_name=name[:200],
        customer_email=request.email,
        redirect_url=request.callback_url,
        metadata={k: v for k, v in metadata.items() if k != "customer_name"},
    )
    payment = Payment(
        id=payment_id,
        provider=FINCRA,
        reference=reference,
        amount=request.amount,
        currency=request.currency,
        purpose=request.purpose,
        purpose_id=request.purpose_id,
        payer_id=request.payer_id,
        customer_email=request.email,
        credit_account_id=request.credit_account_id,
        authorization_url=link.link,
        access_code=link.reference[:64],
    )
    session.add(payment)
    await session.flush()
    return payment


# Receiving webhooks ---------------------------------------------------------------------------


async def receive_fincra_webhook(
    session: AsyncSession, raw_body: bytes, signature: str | None, settings: Settings
) -> tuple[WebhookEvent, bool]:
    """Verify the ``signature`` header on the raw body, store the event in the inbox
    (provider ``fincra``) and queue :data:`CONFIRM_JOB`. Returns ``(event, is_new)``; a
    duplicate only bumps ``deliveries``. Events other than ``charge.successful`` are stored
    as ``ignored``. Only flushes.

    Raises InvalidWebhookSignature (401 ``invalid_signature``) on a forged or missing
    signature and InvalidWebhookPayload (400) on a body that is not a Fincra event; nothing
    is stored then.
    """
    if not verify_signature(raw_body, signature, settings.fincra_webhook_secret):
        raise InvalidWebhookSignature()
    event = parse_event(raw_body)
    try:
        payload = raw_body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidWebhookPayload() from None
    key = event_key(event)
    if len(key) > MAX_EVENT_KEY:  # keep the unique key within its column, still stable
        key = f"{event.event[:64]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    existing = await _inbox_row(session, key)
    if existing is not None:
        await session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == existing.id)
            .values(deliveries=WebhookEvent.deliveries + 1)
        )
        return existing, False
    row = WebhookEvent(provider=FINCRA, event_key=key, event_type=event.event[:64], payload=payload)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # the same event arrived concurrently and won the insert
        won = await _inbox_row(session, key)
        assert won is not None
        return won, False
    if event.event in HANDLED_EVENTS:
        await enqueue(session, CONFIRM_JOB, {"event_id": row.id}, dedupe_key=f"webhook:{row.id}")
    else:
        finish_event(row, "ignored", f"{event.event} needs no action")
    return row, True


async def _inbox_row(session: AsyncSession, key: str) -> WebhookEvent | None:
    stmt = select(WebhookEvent).where(
        WebhookEvent.provider == FINCRA, WebhookEvent.event_key == key
    )
    return (await session.execute(stmt)).scalar_one_or_none()


# Confirming and posting -----------------------------------------------------------------------


async def confirm_fincra_charge(
    session: AsyncSession,
    client: FincraClient,
    event: WebhookEvent,
    *,
    retry_pending: bool = True,
) -> Payment | None:
    """Process a ``charge.successful`` from the inbox: verify with Fincra by our reference,
    then complete the payment (see the module's table). Returns the payment completed now,
    else ``None`` (the event says why).

    Raises RetryJob while Fincra still reports the payment pending and ``retry_pending``, and
    a ProviderError when Fincra cannot be reached (the job retries).
    """
    data = parse_event(event.payload.encode()).data
    reference = str(data.get("merchantReference") or "")
    payment = await _payment_for_reference(session, reference)
    if payment is None:
        finish_event(event, "ignored", f"unknown reference {reference!r}")
        return None
    if payment.status != "pending":
        finish_event(event, "ignored", f"payment already {payment.status}")
        return None
    try:
        verified = await client.verify_payment(payment.reference)
    except ProviderRejected as exc:
        if exc.provider_code != PAYMENT_NOT_FOUND:
            raise
        finish_event(event, "ignored", "Fincra does not know this reference")
        return None
    if verified.status in PENDING_STATUSES and retry_pending:
        raise RetryJob(PENDING_DELAY, f"Fincra says {verified.status}")
    problem = _not_ours(verified, payment, client.business_id)
    if problem is not None:
        finish_event(event, "ignored", problem)
        return None
    if not verified.succeeded:
        finish_event(event, "ignored", f"verify says {verified.status}")
        return None
    if verified.received != payment.amount or verified.currency != payment.currency:
        payment.status = "needs_review"
        payment.failure_reason = (
            f"verified {verified.received} {verified.currency}, "
            f"expected {payment.amount} {payment.currency}"
        )[:200]
        finish_event(event, "ignored", f"amount mismatch: {payment.failure_reason}")
        return None
    await complete_fincra_payment(session, payment, verified)
    finish_event(event, "processed", f"payment {payment.id} completed")
    return payment


async def _payment_for_reference(session: AsyncSession, reference: str) -> Payment | None:
    if not reference:
        return None
    stmt = select(Payment).where(Payment.provider == FINCRA, Payment.reference == reference)
    return (await session.execute(stmt.with_for_update())).scalar_one_or_none()


def _not_ours(verified: FincraPayment, payment: Payment, business_id: str) -> str | None:
    """Why the verified payment is not this payment's, if it is not."""
    if verified.merchant_reference not in (None, payment.reference):
        return "verify returned another payment"
    if verified.business_id not in (None, business_id):
        return "verified payment belongs to another business"
    return None


async def complete_fincra_payment(
    session: AsyncSession, payment: Payment, verified: FincraPayment
) -> None:
    """Mark ``payment`` completed, post it to the ledger and tell its product — the
    provider-neutral counterpart of :func:`kro.payments.service.complete_payment`.

    Ledger (one atomic batch, ids derived from the payment so a retry is a no-op)::

        debit provider clearing   amount → credit the product's account
        debit provider fees       fee    → credit provider clearing   (Fincra's fee, VAT in)
    """
    await post_collection(
        session,
        payment,
        fee=verified.fee,
        provider_transaction_id=verified.charge_reference or verified.reference,
        paid_at=verified.updated_at,
    )
