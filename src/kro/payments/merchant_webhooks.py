"""Provider webhooks about merchant payments: ``POST /v1/webhooks/{provider}`` (seed 003 §2.5).

A provider signs with the *merchant's* credentials, so the event is first read (not trusted)
to find the payment it names, then verified on the raw body with that payment's provider
configuration (Paystack: HMAC-SHA512 with the secret key; Flutterwave: ``verif-hash``;
Stripe: ``Stripe-Signature`` within 300 s). Only then is it stored in the inbox — once per
``(provider, event key)`` — and processed by the job ``payments.merchant_webhook``, which asks
the provider's status endpoint before anything moves (verify before value).
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.kit.errors import BadRequest
from kro.payments import merchant_refunds, orchestration
from kro.payments.errors import InvalidWebhookSignature
from kro.payments.models import Payment, Refund, WebhookEvent
from kro.payments.service import finish_event, store_in_inbox
from kro.providers import registry
from kro.providers.base import WebhookHint
from kro.settings import Settings

log = structlog.get_logger("kro.payments.merchant_webhooks")


async def find_payment(session: AsyncSession, provider: str, hint: WebhookHint) -> Payment | None:
    """The merchant payment ``hint`` names: by our reference, the provider's charge id, or
    (refund events) the provider's refund id. None if it names none of ours."""
    if hint.reference:
        found = await session.scalar(
            select(Payment).where(
                Payment.reference == hint.reference, Payment.tenant_id.is_not(None)
            )
        )
        if found is not None:
            return found
    if hint.provider_id:
        found = await session.scalar(
            select(Payment).where(
                Payment.provider == provider,
                Payment.provider_transaction_id == hint.provider_id,
                Payment.tenant_id.is_not(None),
            )
        )
        if found is not None:
            return found
    if hint.refund_id:
        refund = await session.scalar(
            select(Refund).where(
                Refund.provider_refund_id == hint.refund_id, Refund.tenant_id.is_not(None)
            )
        )
        if refund is not None:
            return await session.get(Payment, refund.payment_id)
    return None


async def receive(
    session: AsyncSession,
    settings: Settings,
    provider: str,
    body: bytes,
    headers: Mapping[str, str],
) -> tuple[WebhookEvent, bool] | None:
    """Verify and store a merchant payment's webhook. Returns ``(event, is_new)``, or None
    when the event names no merchant payment (the caller may try the platform's own flows).

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
    config = await orchestration.config_of(session, payment)
    async with orchestration.adapter(settings, config) as adapter:
        if not adapter.verify_webhook(body, headers, utcnow()):
            log.warning("merchant_webhook_rejected", provider=provider, event_type=hint.event_type)
            raise InvalidWebhookSignature()
    job = "payments.merchant_webhook" if hint.kind in ("charge", "refund") else None
    return await store_in_inbox(
        session,
        provider,
        hint.event_key,
        hint.event_type,
        body,
        job,
        {"payment_id": payment.id},
    )


async def process(
    session: AsyncSession, settings: Settings, event: WebhookEvent, payment: Payment
) -> None:
    """The job's body: ask the provider about what the event names, then settle from that
    answer. Marks the inbox row processed (or ignored, saying why)."""
    hint = registry.peek_webhook(event.provider, event.payload.encode())
    config = await orchestration.config_of(session, payment)
    if hint.kind == "refund":
        refund = await _refund_for(session, payment, hint)
        if refund is None:
            finish_event(event, "ignored", "refund not found")
            return
        async with orchestration.adapter(settings, config) as adapter:
            answer = await adapter.get_refund(refund.provider_refund_id or "")
        await merchant_refunds.settle_refund(session, payment, refund, answer)
        finish_event(event, "processed", f"refund {refund.status}")
        return
    async with orchestration.adapter(settings, config) as adapter:
        charge = await adapter.get_charge(payment.reference, payment.provider_transaction_id)
    changed = await orchestration.settle_charge(
        session, payment, charge, actor=f"provider:{payment.provider}"
    )
    finish_event(
        event, "processed", f"payment {payment.status}" + ("" if changed else " (no change)")
    )


async def _refund_for(session: AsyncSession, payment: Payment, hint: WebhookHint) -> Refund | None:
    if not hint.refund_id:
        return None
    return await session.scalar(
        select(Refund).where(
            Refund.payment_id == payment.id, Refund.provider_refund_id == hint.refund_id
        )
    )
