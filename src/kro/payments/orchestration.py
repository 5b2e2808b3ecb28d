"""The merchant API's payments: route, fail over, record, settle (seed 003 §2.2–2.5, §4.1–4.3).

Creating a payment calls providers while **no database transaction is open** (the tenant's
configuration is read in a short transaction first), so a slow provider never holds a lock:

1. plan the route (:mod:`kro.payments.routing`);
2. offer the payment to each provider in turn, through its circuit breaker. Fail over only
   when the provider certainly did not accept it (``ProviderUnavailable``: refused, 5xx/429,
   or circuit open). A ``ProviderTimeout`` (maybe accepted) stops there: the payment stays
   ``processing`` for reconciliation — never a second charge. A ``ProviderRejected`` stops too;
3. write the payment, its ``payment_events`` and the customer webhooks in the request's
   transaction.

Value moves only when the provider's own status endpoint says so (:func:`settle_charge`,
called from the webhook inbox, capture, and reconciliation): the ledger gets the collection
and the provider's fee in one atomic batch with ids derived from the payment, so a second
settlement changes nothing. Services only flush.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

import structlog
from sqlalchemy import Table, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.kit.errors import Conflict, KroError, Unprocessable, UpstreamError
from kro.kit.http import shared_client
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.ledger.service import create_transfers
from kro.ledger.specs import TransferSpec
from kro.payments import platform, provider_configs, routing, states
from kro.payments.breaker import breakers
from kro.payments.errors import PaymentNotFound
from kro.payments.models import Payment, PaymentEvent, ProviderConfig
from kro.payments.schemas import PaymentOut
from kro.providers import registry
from kro.providers.base import ChargeRequest, ChargeStatus, PaymentProvider, ProviderCharge
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.settings import Settings
from kro.webhooks import service as webhooks

log = structlog.get_logger("kro.payments.orchestration")
PURPOSE = "merchant"


class NoProviderAvailable(Unprocessable):
    code = "no_provider_available"
    message = "No enabled provider configuration can take this payment."


class ProvidersUnavailable(UpstreamError):
    """Every eligible provider refused before accepting; the failed payment is kept."""

    status = 503
    code = "providers_unavailable"
    message = "No payment provider could take the payment now; nothing was charged."
    commit_anyway = True


class PaymentRejected(KroError):
    """The provider refused the payment; the failed payment is kept."""

    status = 402
    code = "payment_rejected"
    message = "The payment provider rejected the payment."
    commit_anyway = True


class DuplicateReference(Conflict):
    code = "duplicate_reference"
    message = "A payment with this reference exists in this mode."


class NotCapturable(Conflict):
    code = "payment_not_capturable"
    message = "Only an authorized payment (requires_capture) can be captured."


class CaptureTooLarge(Unprocessable):
    code = "capture_exceeds_authorized"
    message = "The capture amount is above the authorized amount."


@dataclass(frozen=True)
class NewPayment:
    """A merchant's ``POST /v1/payments`` (see ``PaymentIn``); ``actor`` names the API key."""

    tenant_id: str
    mode: str
    actor: str
    amount: int
    currency: str
    email: str
    name: str | None = None
    phone: str | None = None
    merchant_reference: str | None = None
    provider: str | None = None
    capture_method: str = "automatic"
    channel: str | None = None
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    callback_url: str | None = None


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


# Creating ----------------------------------------------------------------------------------


async def create_payment(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    new: NewPayment,
) -> Payment:
    """Create, route and record a payment; see the module docstring.

    Raises DuplicateReference (409), NoProviderAvailable (422), ProvidersUnavailable (503,
    the failed payment kept), PaymentRejected (402, kept). ``session`` is the request's (no
    statement runs on it before the providers answered); ``sessions`` opens the short reads:
    the merchant's ``reference`` (only when given) and the routing configuration (only when
    not cached: :func:`kro.payments.provider_configs.routing_snapshot`).
    """
    payment_id = new_id("pay")
    reference = payment_id.replace("_", "-")
    request = routing.RouteRequest(
        reference, new.amount, new.currency, new.capture_method, new.channel, new.provider
    )
    if new.merchant_reference:  # checked before the provider is asked: never charge twice
        async with unit_of_work(sessions) as read:
            if await _reference_taken(read, new):
                raise DuplicateReference(details={"reference": new.merchant_reference})
    known = await provider_configs.routing_snapshot(sessions, new.tenant_id, new.mode)
    manual = frozenset(n for n, s in registry.providers().items() if s.supports_manual_capture)
    route = routing.plan(known.configs, known.rules, request, manual)
    if not route:
        raise NoProviderAvailable(
            f"No enabled {new.mode}-mode provider takes {new.currency}"
            + (" with manual capture." if new.capture_method == "manual" else "."),
            details={"currency": new.currency, "capture_method": new.capture_method},
        )
    offer = await _offer(settings, route, _charge_request(new, reference), new.mode)
    payment = _new_payment(new, payment_id, reference, offer)
    if _awaits_customer(offer):
        await _insert_awaiting_customer(session, payment, offer, new.actor)
        return payment
    session.add(payment)
    try:
        await session.flush()
    except IntegrityError:
        raise DuplicateReference(details={"reference": new.merchant_reference}) from None
    await _record_offer(session, payment, offer, new.actor)
    return payment


async def _reference_taken(session: AsyncSession, new: NewPayment) -> bool:
    found = await session.scalar(
        select(Payment.id).where(
            Payment.tenant_id == new.tenant_id,
            Payment.mode == new.mode,
            Payment.merchant_reference == new.merchant_reference,
        )
    )
    return found is not None


def _charge_request(new: NewPayment, reference: str) -> ChargeRequest:
    return ChargeRequest(
        reference=reference,
        amount=new.amount,
        currency=new.currency,
        email=new.email,
        name=new.name,
        phone=new.phone,
        capture_method="manual" if new.capture_method == "manual" else "automatic",
        return_url=new.callback_url,
        description=new.description,
        metadata={**new.metadata, "kro_reference": reference},
    )


async def _offer(
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


def _new_payment(new: NewPayment, payment_id: str, reference: str, offer: Offer) -> Payment:
    customer = {"email": new.email, "name": new.name, "phone": new.phone}
    return Payment(
        id=payment_id,
        provider=offer.config.provider if offer.config else "",
        provider_config_id=offer.config.id if offer.config else None,
        reference=reference,
        amount=new.amount,
        currency=new.currency,
        status=states.PENDING,
        purpose=PURPOSE,
        purpose_id=new.tenant_id,
        customer_email=new.email,
        credit_account_id="",  # the merchant balance, resolved when the collection posts
        tenant_id=new.tenant_id,
        mode=new.mode,
        merchant_reference=new.merchant_reference,
        capture_method=new.capture_method,
        channel=new.channel,
        description=new.description,
        customer=customer,
        metadata_=new.metadata or None,
        routing=offer.attempts,
    )


async def _record_offer(session: AsyncSession, payment: Payment, offer: Offer, actor: str) -> None:
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


def _awaits_customer(offer: Offer) -> bool:
    """Whether the provider accepted the charge and the customer has to act (a hosted page,
    3-D Secure): the usual answer to a new payment, and one that moves no value — what
    :func:`settle_charge` (``_on_waiting``) makes of it is all that follows."""
    charge = offer.charge
    return charge is not None and (
        charge.status is ChargeStatus.REQUIRES_ACTION
        or (charge.status is ChargeStatus.PENDING and bool(charge.redirect_url))
    )


async def _insert_awaiting_customer(
    session: AsyncSession, payment: Payment, offer: Offer, actor: str
) -> None:
    """Record a new payment the customer must act on (:func:`_awaits_customer`) as
    :func:`_record_offer` and :func:`settle_charge` would — ``created``, ``submit`` (by the
    caller), ``require_action`` (by the provider), each checked against the state table, the
    provider's id and ``next_action``, the ``payment.requires_action`` webhook — but as two
    Core inserts (the payment, its events) instead of a flush per step: this is every
    merchant payment's path. Raises DuplicateReference (409) if the reference was taken
    meanwhile."""
    charge, provider = offer.charge, payment.provider
    assert charge is not None
    now = utcnow()
    steps: list[tuple[str | None, str, str, str]] = [(None, payment.status, "created", actor)]
    for action, reason, who in (
        ("submit", f"accepted by {provider}", actor),
        ("require_action", "customer action needed", f"provider:{provider}"),
    ):
        step = states.GATEWAY.next(payment.status, action)
        payment.status = step.to_state
        steps.append((step.from_state, step.to_state, reason, who))
    if charge.provider_id:
        payment.provider_transaction_id = charge.provider_id[:64]
    if charge.redirect_url:
        payment.next_action = {"type": "redirect_to_url", "url": charge.redirect_url}
    payment.provider_fee = payment.amount_captured = payment.amount_refunded = 0
    payment.created_at = payment.updated_at = now
    try:
        await session.execute(_INSERT_PAYMENT, [_columns(payment)])
    except IntegrityError:
        raise DuplicateReference(details={"reference": payment.merchant_reference}) from None
    events = [
        {
            "id": new_id("pev"),
            "payment_id": payment.id,
            "from_status": from_status,
            "to_status": to_status,
            "reason": reason[:200] or None,
            "actor": who[:64],
            "data": None,
            # Apart by a microsecond each, so that they list in the order they happened.
            "created_at": now + timedelta(microseconds=n),
        }
        for n, (from_status, to_status, reason, who) in enumerate(steps)
    ]
    await session.execute(_INSERT_EVENTS, events)
    await emit_payment(session, payment, "payment.requires_action")


# Built once, so that SQLAlchemy finds their compiled form in its cache at once.
_INSERT_PAYMENT = insert(cast(Table, Payment.__table__))
_INSERT_EVENTS = insert(cast(Table, PaymentEvent.__table__))


def _columns(payment: Payment) -> dict[str, Any]:
    """The row of a new ``payment`` for a Core insert: every column set on it; the unset
    ones that have a default are left out, so that the insert applies it."""
    row: dict[str, Any] = {}
    for attribute in inspect(Payment).column_attrs:
        column = attribute.columns[0]
        value = payment.__dict__.get(attribute.key)
        if value is None and column.default is not None:
            continue
        row[column.key] = value
    return row


# Transitions and settlement ------------------------------------------------------------------


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
    await _complete(session, payment, charge, action, actor)


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


async def _complete(
    session: AsyncSession, payment: Payment, charge: ProviderCharge, action: str, actor: str
) -> None:
    await _open(session, payment)
    # Never more than the payment: anything above it was not the merchant's to collect.
    captured = min(charge.amount_captured or charge.amount, payment.amount)
    await post_collection(session, payment, captured, charge.fee)
    payment.amount_captured = captured
    payment.provider_fee = charge.fee
    payment.paid_at = charge.paid_at or utcnow()
    payment.next_action = None
    await transition(session, payment, action, f"{payment.provider} confirmed", actor)
    if action == "capture":
        await emit_payment(session, payment, "payment.captured")
    await emit_payment(session, payment, "payment.completed")


def provider_book(payment: Payment) -> str:
    """The ledger's name for the provider in the payment's mode: test-mode money is the
    sandbox's (``paystack.test``), never mixed with live."""
    return payment.provider if payment.mode == "live" else f"{payment.provider}.test"


async def post_collection(session: AsyncSession, payment: Payment, amount: int, fee: int) -> None:
    """Post a confirmed collection of ``amount`` minor units with the provider's ``fee``.

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
    if payment.tenant_id is None:
        await _post_product_collection(session, payment, amount, fee)
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
    session: AsyncSession, payment: Payment, amount: int, fee: int
) -> None:
    book, currency = payment.provider, payment.currency
    clearing = await chart.ensure_provider_clearing(session, book, currency)
    transfers = [
        TransferSpec(f"trf_{payment.id}_in", clearing.id, payment.credit_account_id, amount,
                     currency, "payment.collected", payment.reference),
    ]  # fmt: skip
    if fee > 0:
        fees = await chart.ensure_provider_fees(session, book, currency)
        transfers.append(
            TransferSpec(f"trf_{payment.id}_fee", fees.id, clearing.id, fee, currency,
                         "payment.provider_fee", payment.reference)
        )  # fmt: skip
    await create_transfers(session, transfers)


# Capture ------------------------------------------------------------------------------------


async def capture_payment(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    tenant_id: str,
    mode: str,
    payment_id: str,
    amount: int | None,
    actor: str,
) -> Payment:
    """Capture ``amount`` minor units (default: all) of an authorized payment, through its
    provider, outside any transaction; then settle it. Raises PaymentNotFound (404),
    NotCapturable (409), CaptureTooLarge (422), provider errors (502/503/504: a timeout
    leaves it ``requires_capture``; retrying is safe, the capture carries an idempotency key).
    """
    async with unit_of_work(sessions) as read:
        payment = await get_payment(read, tenant_id, mode, payment_id)
        config = await config_of(read, payment)
        read.expunge_all()
    if payment.status != states.REQUIRES_CAPTURE:
        raise NotCapturable(details={"status": payment.status})
    wanted = payment.amount if amount is None else amount
    if wanted > payment.amount:
        raise CaptureTooLarge(details={"authorized": payment.amount, "requested": wanted})
    assert payment.provider_transaction_id is not None
    async with adapter(settings, config) as provider:
        charge = await breakers(settings).call(
            config.provider,
            mode,
            lambda: provider.capture(
                payment.reference, payment.provider_transaction_id or "", wanted
            ),
        )
    locked = await get_payment(session, tenant_id, mode, payment_id, for_update=True)
    await settle_charge(session, locked, charge, actor=actor)
    return locked


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


# Reading -------------------------------------------------------------------------------------


async def get_payment(
    session: AsyncSession, tenant_id: str, mode: str, payment_id: str, *, for_update: bool = False
) -> Payment:
    """One of the tenant's payments in ``mode``; anything else → PaymentNotFound (404)."""
    payment = await session.get(Payment, payment_id, with_for_update=for_update)
    if payment is None or payment.tenant_id != tenant_id or payment.mode != mode:
        raise PaymentNotFound()
    return payment


@dataclass(frozen=True)
class PaymentFilter:
    """``GET /v1/payments`` filters; ``created_gte``/``created_lt`` are aware datetimes."""

    status: str | None = None
    provider: str | None = None
    currency: str | None = None
    reference: str | None = None
    created_gte: datetime | None = None
    created_lt: datetime | None = None


async def list_payments(
    session: AsyncSession,
    tenant_id: str,
    mode: str,
    filters: PaymentFilter,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[Payment], bool]:
    """The tenant's payments, newest first, ``limit`` at most, after the payment ``cursor``
    (the last id of the previous page). Returns ``(page, has_more)``."""
    stmt = select(Payment).where(Payment.tenant_id == tenant_id, Payment.mode == mode)
    if filters.status:
        stmt = stmt.where(Payment.status == filters.status)
    if filters.provider:
        stmt = stmt.where(Payment.provider == filters.provider)
    if filters.currency:
        stmt = stmt.where(Payment.currency == filters.currency.upper())
    if filters.reference:
        stmt = stmt.where(Payment.merchant_reference == filters.reference)
    if filters.created_gte:
        stmt = stmt.where(Payment.created_at >= filters.created_gte)
    if filters.created_lt:
        stmt = stmt.where(Payment.created_at < filters.created_lt)
    if cursor:
        stmt = stmt.where(Payment.id < cursor)
    rows = list(await session.scalars(stmt.order_by(Payment.id.desc()).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


async def payment_events(session: AsyncSession, payment: Payment) -> list[PaymentEvent]:
    """The payment's transitions, oldest first."""
    rows = await session.scalars(
        select(PaymentEvent)
        .where(PaymentEvent.payment_id == payment.id)
        .order_by(PaymentEvent.created_at, PaymentEvent.id)
    )
    return list(rows)


# The products collect through the same offer and record (kro.payments.collect).
offer = _offer
record_offer = _record_offer
