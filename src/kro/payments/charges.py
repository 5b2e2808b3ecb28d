"""The life of a charge, shared by every payment — a merchant's (``kro.payments.merchant``)
or a product's (``kro.payments.collect``): the adapter for a configuration, offering a payment
along a route (failover only when the provider certainly did not accept it), the state table's
transitions as ``payment_events`` rows, and settling from the provider's own answer (verify
before value) with the ledger posting and the news to the payment's owner (customer webhooks,
or the product's outbox job ``{purpose}.payment_completed``).

Value moves only when the provider's own status endpoint says so (:func:`settle_charge`,
called from the webhook inbox, capture, verification and reconciliation): the ledger gets the
collection and the provider's fee in one atomic batch with ids derived from the payment, so a
second settlement changes nothing. Services only flush.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.errors import Conflict
from kro.kit.http import shared_client
from kro.ledger import chart
from kro.ledger.service import create_transfers
from kro.ledger.specs import TransferSpec
from kro.payments import platform, provider_configs, states
from kro.payments.breaker import breakers
from kro.payments.errors import (
    PaymentRejected,
    ProvidersUnavailable,
)
from kro.payments.models import Payment, PaymentEvent, ProviderConfig
from kro.payments.schemas import PaymentOut
from kro.providers import registry
from kro.providers.base import ChargeRequest, ChargeStatus, PaymentProvider, ProviderCharge
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.settings import Settings
from kro.webhooks import service as webhooks

log = structlog.get_logger("kro.payments.charges")


@dataclass
class Offer:
    """What happened when the payment was offered to the route's providers."""

    attempts: list[dict[str, Any]] = field(default_factory=list)
    config: ProviderConfig | None = None
    charge: ProviderCharge | None = None
    unknown: ProviderTimeout | None = None
    rejected: ProviderRejected | None = None


def adapter(settings: Settings, config: ProviderConfig) -> PaymentProvider:
    """An adapter for ``config``: its provider, mode's base URL and decrypted credentials
    (for a platform configuration, :mod:`kro.payments.platform`'s keys and base URL)."""
    if config.mode == platform.PLATFORM:
        return registry.build(
            config.provider,
            platform.base_url(settings, config.provider),
            platform.credentials(settings, config.provider),
            timeout=platform.timeout(settings, config.provider),
            http_client=shared_client(),
        )
    return registry.build(
        config.provider,
        provider_configs.base_url(settings, config.provider, config.mode),
        provider_configs.credentials(settings, config),
        timeout=settings.gateway_provider_timeout,
        http_client=shared_client(),  # pooled: no new TLS context and connection per call
    )


async def offer(
    settings: Settings, route: list[ProviderConfig], request: ChargeRequest, mode: str
) -> Offer:
    offer = Offer()
    for config in route:
        name = config.provider
        try:
            async with adapter(settings, config) as provider:
                charge = await breakers(settings).call(
                    name, mode, partial(provider.create_charge, request)
                )
        except ProviderUnavailable as exc:
            outcome = "circuit_open" if exc.code == "provider_circuit_open" else "unavailable"
            offer.attempts.append({"provider": name, "outcome": outcome, "error": exc.message})
            log.warning("provider_failover", provider=name, mode=mode, outcome=outcome)
            continue
        except ProviderTimeout as exc:
            offer.attempts.append({"provider": name, "outcome": "timeout", "error": exc.message})
            offer.config, offer.unknown = config, exc
            return offer
        except ProviderRejected as exc:
            offer.attempts.append({"provider": name, "outcome": "rejected", "error": exc.message})
            offer.config, offer.rejected = config, exc
            return offer
        offer.attempts.append({"provider": name, "outcome": "accepted", "error": None})
        offer.config, offer.charge = config, charge
        return offer
    return offer


async def record_offer(session: AsyncSession, payment: Payment, offer: Offer, actor: str) -> None:
    await _event(session, payment, None, states.PENDING, "created", actor)
    if offer.charge is not None:
        await transition(session, payment, "submit", f"accepted by {payment.provider}", actor)
        await settle_charge(session, payment, offer.charge, actor=f"provider:{payment.provider}")
        return
    if offer.unknown is not None:
        reason = f"{payment.provider} did not answer: outcome unknown, reconciliation will ask"
        await transition(session, payment, "submit", reason, actor)
        await emit_payment(session, payment, "payment.processing")
        return
    if offer.rejected is not None:
        payment.failure_reason = (offer.rejected.message or "rejected")[:200]
        await transition(session, payment, "fail", payment.failure_reason, actor)
        await emit_payment(session, payment, "payment.failed")
        raise PaymentRejected(
            f"{payment.provider} rejected the payment: {offer.rejected.message}",
            details={"payment_id": payment.id, **(offer.rejected.details or {})},
        )
    payment.failure_reason = "no provider could take the payment"
    await transition(session, payment, "fail", payment.failure_reason, actor)
    await emit_payment(session, payment, "payment.failed")
    raise ProvidersUnavailable(details={"payment_id": payment.id, "routing": offer.attempts})


async def transition(
    session: AsyncSession, payment: Payment, action: str, reason: str | None, actor: str
) -> None:
    """Apply ``action`` (``kro.payments.states.GATEWAY``; InvalidTransition 409 otherwise) and
    record it as a ``payment_events`` row."""
    step = states.GATEWAY.next(payment.status, action)
    payment.status = step.to_state
    await _event(session, payment, step.from_state, step.to_state, reason, actor)


async def record_created(session: AsyncSession, payment: Payment, actor: str) -> None:
    """The first ``payment_events`` row of a new payment (``pending``)."""
    await _event(session, payment, None, payment.status, "created", actor)


async def _event(
    session: AsyncSession,
    payment: Payment,
    from_status: str | None,
    to_status: str,
    reason: str | None,
    actor: str,
) -> None:
    session.add(
        PaymentEvent(
            payment_id=payment.id,
            from_status=from_status,
            to_status=to_status,
            reason=(reason or "")[:200] or None,
            actor=actor[:64],
        )
    )
    await session.flush()


PRODUCT_JOBS = {
    "payment.completed": "payment_completed",
    "payment.failed": "payment_failed",
    "payment.refunded": "payment_refunded",
    "payment.needs_review": "payment_needs_review",
}
"""What a product hears, as the outbox job ``"{purpose}.<suffix>"``, for each payment event."""


async def emit_payment(session: AsyncSession, payment: Payment, event_type: str) -> None:
    """Tell whoever owns ``payment`` that it reached ``event_type`` (``payment.completed`` …),
    in the same transaction: a merchant's customer webhooks, or for a product's payment the
    job ``"{purpose}.payment_completed"`` (``_failed``, ``_refunded``, ``_needs_review``) with
    ``{"payment_id", "purpose_id"}``; other events are not a product's concern. A product
    registers a handler for each of the four jobs."""
    if payment.tenant_id is None:
        suffix = PRODUCT_JOBS.get(event_type)
        if suffix is None:
            return
        await enqueue(
            session,
            f"{payment.purpose}.{suffix}",
            {"payment_id": payment.id, "purpose_id": payment.purpose_id},
            dedupe_key=f"{suffix}:{payment.id}",
        )
        return
    assert payment.mode is not None
    await webhooks.emit(
        session,
        tenant_id=payment.tenant_id,
        mode=payment.mode,
        type=event_type,
        data=PaymentOut.of(payment).model_dump(mode="json"),
    )


async def settle_charge(
    session: AsyncSession, payment: Payment, charge: ProviderCharge, *, actor: str
) -> bool:
    """Bring ``payment`` to what the provider reports in ``charge`` (its status endpoint's
    answer — never a webhook's word). Returns True if the status changed.

    A success or authorization whose amount or currency differs from the payment's is not
    believed: nothing moves, and the mismatch is logged (reconciliation reports it). Payments
    already final are left alone — except a ``failed`` one the provider reports succeeded (paid
    after a decline): that money is booked (``succeed_late``).
    """
    if charge.provider_id and not payment.provider_transaction_id:
        payment.provider_transaction_id = charge.provider_id[:64]
    before = payment.status
    late = before == states.FAILED and charge.status is ChargeStatus.SUCCEEDED
    if before not in states.OPEN and before != states.REQUIRES_CAPTURE and not late:
        return False
    if charge.status in _VALUE and (
        charge.currency.upper() != payment.currency or charge.amount != payment.amount
    ):
        log.error(
            "charge_mismatch",
            payment_id=payment.id,
            expected=(payment.amount, payment.currency),
            reported=(charge.amount, charge.currency),
        )
        if before not in states.OPEN:
            return False
        await _open(session, payment)
        payment.failure_reason = (
            f"provider reports {charge.amount} {charge.currency.upper()}, "
            f"expected {payment.amount} {payment.currency}"
        )[:200]
        await transition(session, payment, "flag", payment.failure_reason, actor)
        await emit_payment(session, payment, "payment.needs_review")
        return True
    await _SETTLE[charge.status](session, payment, charge, actor)
    await session.flush()
    return payment.status != before


_VALUE = frozenset({ChargeStatus.SUCCEEDED, ChargeStatus.REQUIRES_CAPTURE})


async def _on_succeeded(
    session: AsyncSession, payment: Payment, charge: ProviderCharge, actor: str
) -> None:
    action = {states.REQUIRES_CAPTURE: "capture", states.FAILED: "succeed_late"}.get(
        payment.status, "succeed"
    )
    if action == "succeed_late":
        payment.failure_reason = None
    await complete(session, payment, charge, action, actor)


async def _on_authorized(
    session: AsyncSession, payment: Payment, charge: ProviderCharge, actor: str
) -> None:
    if payment.status in states.OPEN:
        await _open(session, payment)
        payment.next_action = None
        await transition(session, payment, "authorize", "authorized; capture to collect", actor)
        await emit_payment(session, payment, "payment.authorized")


async def _on_waiting(
    session: AsyncSession, payment: Payment, charge: ProviderCharge, actor: str
) -> None:
    """Pending or requires_action at the provider: the customer has something to do."""
    needs_action = charge.status is ChargeStatus.REQUIRES_ACTION or charge.redirect_url
    if needs_action and payment.status in (states.PENDING, states.PROCESSING):
        await _open(session, payment)
        if charge.redirect_url:
            payment.next_action = {"type": "redirect_to_url", "url": charge.redirect_url}
        await transition(session, payment, "require_action", "customer action needed", actor)
        await emit_payment(session, payment, "payment.requires_action")


async def _on_failed(
    session: AsyncSession, payment: Payment, charge: ProviderCharge, actor: str
) -> None:
    if payment.status in states.OPEN:
        await _fail(session, payment, charge.failure_reason or "declined", actor)


async def _on_canceled(
    session: AsyncSession, payment: Payment, charge: ProviderCharge, actor: str
) -> None:
    if payment.status == states.REQUIRES_CAPTURE:
        await transition(session, payment, "cancel", "authorization released", actor)
        await emit_payment(session, payment, "payment.canceled")
    elif payment.status in states.OPEN:
        await _fail(session, payment, "canceled at the provider", actor)


async def _fail(session: AsyncSession, payment: Payment, reason: str, actor: str) -> None:
    await _open(session, payment)
    payment.failure_reason = reason[:200]
    payment.next_action = None
    await transition(session, payment, "fail", payment.failure_reason, actor)
    await emit_payment(session, payment, "payment.failed")


Settle = Callable[[AsyncSession, Payment, ProviderCharge, str], Awaitable[None]]


_SETTLE: dict[ChargeStatus, Settle] = {
    ChargeStatus.SUCCEEDED: _on_succeeded,
    ChargeStatus.REQUIRES_CAPTURE: _on_authorized,
    ChargeStatus.REQUIRES_ACTION: _on_waiting,
    ChargeStatus.PENDING: _on_waiting,
    ChargeStatus.FAILED: _on_failed,
    ChargeStatus.CANCELED: _on_canceled,
}


async def _open(session: AsyncSession, payment: Payment) -> None:
    """A payment still ``pending`` (created before the provider answered) goes ``processing``
    first, so every path follows the table."""
    if payment.status == states.PENDING:
        await transition(session, payment, "submit", "provider answered", "system")


async def complete(
    session: AsyncSession,
    payment: Payment,
    charge: ProviderCharge,
    action: str,
    actor: str,
    reason: str | None = None,
) -> None:
    """Book the provider's confirmed ``charge`` (the collection and its fee, never more than
    ``payment.amount``), apply ``action`` (``succeed``, ``capture``, ``succeed_late``,
    ``accept``) and tell the owner ``payment.completed``."""
    await _open(session, payment)
    # Never more than the payment: anything above it was not the merchant's to collect.
    captured = min(charge.amount_captured or charge.amount, payment.amount)
    await post_collection(session, payment, captured, charge.fee)
    payment.amount_captured = captured
    payment.provider_fee = charge.fee
    payment.paid_at = charge.paid_at or utcnow()
    payment.next_action = None
    await transition(session, payment, action, reason or f"{payment.provider} confirmed", actor)
    if action == "capture":
        await emit_payment(session, payment, "payment.captured")
    await emit_payment(session, payment, "payment.completed")


def provider_book(payment: Payment) -> str:
    """The ledger's name for the provider account the payment went through: a product's
    payment is the platform's own account (``paystack``); a merchant's is the provider in the
    payment's mode — test-mode money is the sandbox's (``paystack.test``), never mixed with
    live. Collections and refunds of one payment use the same book."""
    if payment.tenant_id is None:
        return payment.provider
    return payment.provider if payment.mode == "live" else f"{payment.provider}.test"


async def post_collection(
    session: AsyncSession, payment: Payment, amount: int, fee: int, *, into: str | None = None
) -> None:
    """Post a confirmed collection of ``amount`` minor units with the provider's ``fee``.

    ``into``: credit this ledger account instead of the owner's, as for a product (a payment
    in review being refunded is parked in its review account, :mod:`kro.payments.review`).

    A product's payment (no tenant) credits the account the product named
    (``payment.credit_account_id``: an escrow account, a campaign, …) and books the provider's
    fee as the platform's expense::

        debit provider clearing   amount → credit the product's account
        debit provider fees       fee    → credit provider clearing

    A merchant's, one atomic batch, ids derived from the payment (a retry is a no-op)::

        debit provider clearing   amount → credit merchant balance      (collected)
        debit provider fees       fee    → credit provider clearing     (the provider kept it)
        debit merchant balance    fee    → credit platform fees         (passed on to the merchant)
    """
    if payment.tenant_id is None or into is not None:
        await _post_product_collection(session, payment, amount, fee, into)
        return
    assert payment.mode is not None
    book, currency = provider_book(payment), payment.currency
    clearing = await chart.ensure_provider_clearing(session, book, currency)
    merchant = await chart.ensure_merchant_balance(
        session, payment.tenant_id, payment.mode, currency
    )
    payment.credit_account_id = merchant.id
    transfers = [
        TransferSpec(f"trf_{payment.id}_in", clearing.id, merchant.id, amount, currency,
                     "payment.collected", payment.reference),
    ]  # fmt: skip
    if fee > 0:
        fees = await chart.ensure_provider_fees(session, book, currency)
        platform = await chart.ensure_platform_fees(session, currency)
        transfers += [
            TransferSpec(f"trf_{payment.id}_fee", fees.id, clearing.id, fee, currency,
                         "payment.provider_fee", payment.reference),
            TransferSpec(f"trf_{payment.id}_mfee", merchant.id, platform.id, fee, currency,
                         "payment.merchant_fee", payment.reference),
        ]  # fmt: skip
    await create_transfers(session, transfers)


async def _post_product_collection(
    session: AsyncSession, payment: Payment, amount: int, fee: int, into: str | None = None
) -> None:
    book, currency = provider_book(payment), payment.currency
    clearing = await chart.ensure_provider_clearing(session, book, currency)
    transfers = [
        TransferSpec(f"trf_{payment.id}_in", clearing.id, into or payment.credit_account_id, amount,
                     currency, "payment.collected", payment.reference),
    ]  # fmt: skip
    if fee > 0:
        fees = await chart.ensure_provider_fees(session, book, currency)
        transfers.append(
            TransferSpec(f"trf_{payment.id}_fee", fees.id, clearing.id, fee, currency,
                         "payment.provider_fee", payment.reference)
        )  # fmt: skip
    await create_transfers(session, transfers)


async def config_of(session: AsyncSession, payment: Payment) -> ProviderConfig:
    """The configuration ``payment`` was taken through: the tenant's, or for a product's
    payment the platform's (:mod:`kro.payments.platform`). Raises Conflict (409
    ``provider_config_removed``) when the tenant's was deleted."""
    if payment.tenant_id is None:
        return platform.config(payment.provider)
    config = (
        await session.get(ProviderConfig, payment.provider_config_id)
        if payment.provider_config_id
        else None
    )
    if config is None:
        raise Conflict(
            "The payment's provider configuration was removed.",
            code="provider_config_removed",
        )
    return config
