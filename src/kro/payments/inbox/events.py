"""Provider webhooks about payments — a merchant's or a product's: ``POST
/v1/webhooks/{provider}`` (seed 003 §2.5; DESIGN.md §5 "Inbox", "Verify before value").

A provider signs with the account's credentials (a merchant's, or the platform's for a
product's payment), so the event is first read (not trusted) to find the payment it names,
then verified on the raw body with that payment's provider configuration (Paystack:
HMAC-SHA512 with the secret key; Flutterwave: ``verif-hash``; Stripe: ``Stripe-Signature``
within 300 s; Fincra: ``signature``). Only then is it stored in the inbox — once per
``(provider, payment, event key)`` — and processed by the job ``payments.provider_event``,
which asks the provider's status endpoint before anything moves.

An event processed while the provider did not yet confirm never blocks a later one: a
repeated delivery of an event whose payment is still open is processed again
(:func:`kro.payments.inbox.service.store_in_inbox`), and the payment itself is asked about again
with backoff (:mod:`kro.payments.reconciliation.verification`) — Paystack has been seen sending
``charge.success`` before its verify endpoint said ``success``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.kit.errors import BadRequest
from kro.payments import charges
from kro.payments.errors import InvalidWebhookSignature
from kro.payments.inbox.service import finish_event, store_in_inbox
from kro.payments.models import Payment, Refund, WebhookEvent
from kro.payments.refunds import service as refunds
from kro.providers import registry
from kro.providers.base import ProviderCharge, ProviderRefund, WebhookHint
from kro.settings import Settings

log = structlog.get_logger("kro.payments.inbox.events")


async def find_payment(session: AsyncSession, provider: str, hint: WebhookHint) -> Payment | None:
    """The payment ``hint`` names: by our reference, the provider's charge id, or (refund
    events) the provider's refund id. None if it names none of ours."""
    if hint.reference:
        found = await session.scalar(_BY_REFERENCE, {"reference": hint.reference})
        if found is not None:
            return found
    if hint.provider_id:
        found = await session.scalar(
            _BY_PROVIDER_ID, {"provider": provider, "provider_id": hint.provider_id}
        )
        if found is not None:
            return found
    if hint.refund_id:
        refund = await session.scalar(_REFUND_BY_PROVIDER_ID, {"refund_id": hint.refund_id})
        if refund is not None:
            return await session.get(Payment, refund.payment_id)
    return None


# Built once (every webhook looks its payment up): building the ORM comparisons per call cost
# ~10 % of an event's intake (bench/webhook_intake.py --py-spy).
_BY_REFERENCE = select(Payment).where(Payment.reference == bindparam("reference"))
_BY_PROVIDER_ID = select(Payment).where(
    Payment.provider == bindparam("provider"),
    Payment.provider_transaction_id == bindparam("provider_id"),
)
_REFUND_BY_PROVIDER_ID = select(Refund).where(Refund.provider_refund_id == bindparam("refund_id"))


async def receive(
    session: AsyncSession,
    settings: Settings,
    provider: str,
    body: bytes,
    headers: Mapping[str, str],
) -> tuple[WebhookEvent, bool] | None:
    """Verify and store a payment's webhook. Returns ``(event, is_new)``, or None when the
    event names no payment of ours (the caller may try the platform's other flows: Paystack
    transfers for payouts).

    Raises UnknownProvider (404), BadRequest (400, not an event of that provider),
    InvalidWebhookSignature (401, forged, or stale where the scheme has a timestamp).
    """
    try:
        hint = registry.peek_webhook(provider, body)
    except BadRequest:
        if provider == "paystack":  # the platform's own Paystack flow answers for it
            return None
        raise
    payment = await find_payment(session, provider, hint)
    if payment is None or payment.provider != provider:
        return None
    config = await charges.config_of(session, payment)
    async with charges.adapter(settings, config) as adapter:
        if not adapter.verify_webhook(body, headers, utcnow()):
            log.warning("merchant_webhook_rejected", provider=provider, event_type=hint.event_type)
            raise InvalidWebhookSignature()
    job = "payments.provider_event" if hint.kind in ("charge", "refund") else None
    return await store_in_inbox(
        session,
        provider,
        f"{payment.id}:{hint.event_key}",  # a tenant's signed event cannot shadow another's
        hint.event_type,
        body,
        job,
        {"payment_id": payment.id},
        payment=payment,
    )


@dataclass(frozen=True)
class Answer:
    """What the provider said about the thing an event names: a charge, or a refund of ours
    (``refund_id``); ``ignored`` says why there is nothing to settle."""

    charge: ProviderCharge | None = None
    refund_id: str | None = None
    refund: ProviderRefund | None = None
    ignored: str | None = None


async def ask(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, event_id: str, payment_id: str
) -> Answer | None:
    """Read the event, its payment and configuration in a short transaction, then ask the
    provider — with no transaction open (verify before value). None: nothing to do (the event
    is gone or already handled). Raises provider errors."""
    async with unit_of_work(sessions) as read:
        event = await read.get(WebhookEvent, event_id)
        payment = await read.get(Payment, payment_id)
        if event is None or event.status != "received" or payment is None:
            return None
        hint = registry.peek_webhook(event.provider, event.payload.encode())
        config = await charges.config_of(read, payment)
        refund = await _refund_for(read, payment, hint) if hint.kind == "refund" else None
        read.expunge_all()
    if hint.kind == "refund" and refund is None:
        return Answer(ignored="refund not found")
    provider = charges.adapter(settings, config)
    async with provider:
        if refund is not None:
            answer = await provider.get_refund(refund.provider_refund_id or "")
            return Answer(refund_id=refund.id, refund=answer)
        charge = await provider.get_charge(payment.reference, payment.provider_transaction_id)
        return Answer(charge=charge)


async def apply(
    session: AsyncSession, event_id: str, payment_id: str, answer: Answer
) -> Payment | None:
    """Lock the payment (then the refund) and settle from ``answer``; mark the inbox row
    processed or ignored, saying why. Returns the payment (None if nothing was done).
    Idempotent."""
    payment = await session.get(Payment, payment_id, with_for_update=True, populate_existing=True)
    event = await session.get(WebhookEvent, event_id, with_for_update=True, populate_existing=True)
    if payment is None or event is None or event.status != "received":
        return None
    if answer.ignored is not None:
        finish_event(event, "ignored", answer.ignored)
        return payment
    if answer.refund is not None and answer.refund_id is not None:
        refund = await session.get(
            Refund, answer.refund_id, with_for_update=True, populate_existing=True
        )
        assert refund is not None
        await refunds.settle_refund(session, payment, refund, answer.refund)
        finish_event(event, "processed", f"refund {refund.status}")
        return payment
    assert answer.charge is not None
    changed = await charges.settle_charge(
        session, payment, answer.charge, actor=f"provider:{payment.provider}"
    )
    outcome = f"payment {payment.status}" + ("" if changed else " (no change)")
    finish_event(event, "processed", outcome)
    return payment


async def ignore(session: AsyncSession, event_id: str, why: str) -> None:
    """Mark the inbox row ignored (the provider refused to say, or the configuration is gone)."""
    event = await session.get(WebhookEvent, event_id, with_for_update=True)
    if event is not None and event.status == "received":
        finish_event(event, "ignored", why)


async def _refund_for(session: AsyncSession, payment: Payment, hint: WebhookHint) -> Refund | None:
    if not hint.refund_id:
        return None
    return await session.scalar(
        select(Refund).where(
            Refund.payment_id == payment.id, Refund.provider_refund_id == hint.refund_id
        )
    )
