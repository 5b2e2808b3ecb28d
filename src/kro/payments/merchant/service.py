"""The merchant API's payments: create (route, fail over, record), capture, read (seed 003
§2.2–2.5, §4.1–4.3). Settling is :mod:`kro.payments.charges`.

Creating a payment calls providers while **no database transaction is open** (the tenant's
configuration is read in a short transaction first), so a slow provider never holds a lock:

1. plan the route (:mod:`kro.payments.routing`);
2. offer the payment to each provider in turn, through its circuit breaker. Fail over only
   when the provider certainly did not accept it (``ProviderUnavailable``: refused, 5xx/429,
   or circuit open). A ``ProviderTimeout`` (maybe accepted) stops there: the payment stays
   ``processing`` for reconciliation — never a second charge. A ``ProviderRejected`` stops too;
3. write the payment, its ``payment_events`` and the customer webhooks in the request's
   transaction.

Value moves only when the provider's own status endpoint says so (``charges.settle_charge``,
called from the webhook inbox, capture, and reconciliation): the ledger gets the collection
and the provider's fee in one atomic batch with ids derived from the payment, so a second
settlement changes nothing. Services only flush.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import Table, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.kit.deferred import insert_later
from kro.kit.ids import new_id
from kro.payments import charges, provider_configs, routing, states
from kro.payments.breaker import breakers
from kro.payments.errors import (
    CaptureTooLarge,
    DuplicateReference,
    NoProviderAvailable,
    NotCapturable,
    PaymentNotFound,
)
from kro.payments.models import Payment, PaymentEvent, Refund
from kro.providers import registry
from kro.providers.base import ChargeRequest, ChargeStatus
from kro.settings import Settings

log = structlog.get_logger("kro.payments.merchant")


PURPOSE = "merchant"


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
    offer = await charges.offer(settings, route, _charge_request(new, reference), new.mode)
    payment = _new_payment(new, payment_id, reference, offer)
    if _awaits_customer(offer):
        await _insert_awaiting_customer(session, payment, offer, new.actor)
        return payment
    session.add(payment)
    try:
        await session.flush()
    except IntegrityError:
        raise DuplicateReference(details={"reference": new.merchant_reference}) from None
    await charges.record_offer(session, payment, offer, new.actor)
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


def _new_payment(new: NewPayment, payment_id: str, reference: str, offer: charges.Offer) -> Payment:
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


def _awaits_customer(offer: charges.Offer) -> bool:
    """Whether the provider accepted the charge and the customer has to act (a hosted page,
    3-D Secure): the usual answer to a new payment, and one that moves no value — what
    :func:`kro.payments.charges.settle_charge` (``_on_waiting``) makes of it is all that follows."""
    charge = offer.charge
    return charge is not None and (
        charge.status is ChargeStatus.REQUIRES_ACTION
        or (charge.status is ChargeStatus.PENDING and bool(charge.redirect_url))
    )


async def _insert_awaiting_customer(
    session: AsyncSession, payment: Payment, offer: charges.Offer, actor: str
) -> None:
    """Record a new payment the customer must act on (:func:`_awaits_customer`) as
    :func:`kro.payments.charges.record_offer` and :func:`kro.payments.charges.settle_charge`
    would — ``created``, ``submit`` (by the caller), ``require_action`` (by the provider),
    each checked against the state table, the provider's id and ``next_action``, the
    ``payment.requires_action`` webhook — but as two Core inserts (the payment, its
    events) instead of a flush per step: this is every merchant payment's path. They are
    deferred writes (:mod:`kro.kit.deferred`): with the webhook event and the stored
    idempotent response, one statement on PostgreSQL at the request's commit. A payment with
    the merchant's ``reference`` is inserted at once instead, and raises DuplicateReference
    (409) if the reference was taken meanwhile."""
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
    if payment.merchant_reference:  # may be taken meanwhile: written now, where that is caught
        try:
            await session.execute(insert(_PAYMENTS), [_columns(payment)])
        except IntegrityError:
            raise DuplicateReference(details={"reference": payment.merchant_reference}) from None
    else:
        await insert_later(session, _PAYMENTS, [_columns(payment)])
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
    await insert_later(session, _EVENTS, events)
    await charges.emit_payment(session, payment, "payment.requires_action")


_PAYMENTS = cast(Table, Payment.__table__)
_EVENTS = cast(Table, PaymentEvent.__table__)


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
        config = await charges.config_of(read, payment)
        read.expunge_all()
    if payment.status != states.REQUIRES_CAPTURE:
        raise NotCapturable(details={"status": payment.status})
    wanted = payment.amount if amount is None else amount
    if wanted > payment.amount:
        raise CaptureTooLarge(details={"authorized": payment.amount, "requested": wanted})
    assert payment.provider_transaction_id is not None
    async with charges.adapter(settings, config) as provider:
        charge = await breakers(settings).call(
            config.provider,
            mode,
            lambda: provider.capture(
                payment.reference, payment.provider_transaction_id or "", wanted
            ),
        )
    locked = await get_payment(session, tenant_id, mode, payment_id, for_update=True)
    await charges.settle_charge(session, locked, charge, actor=actor)
    return locked


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


async def list_refunds(
    session: AsyncSession, tenant_id: str, mode: str, *, limit: int, cursor: str | None
) -> tuple[list[Refund], bool]:
    """The tenant's refunds in ``mode``, newest first, ``limit`` at most, after the refund
    ``cursor`` (the last id of the previous page). Returns ``(page, has_more)``."""
    stmt = select(Refund).where(Refund.tenant_id == tenant_id, Refund.mode == mode)
    if cursor:
        stmt = stmt.where(Refund.id < cursor)
    rows = list(await session.scalars(stmt.order_by(Refund.id.desc()).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


@dataclass(frozen=True)
class ProviderHealth:
    """One provider's circuit breaker in one mode: ``state`` closed (healthy) | opened
    (failing: routing skips it until it is probed again) | half-opened (probing)."""

    provider: str
    mode: str
    state: str
    failure_count: int
    opened_at: datetime | None

    @property
    def available(self) -> bool:
        return self.state != "opened"


async def providers_health(settings: Settings, mode: str) -> list[ProviderHealth]:
    """Every merchant provider's breaker in ``mode`` (breakers are per provider and mode,
    shared by all tenants: a provider failing for one is failing for all)."""
    found = []
    for name in registry.NAMES:
        state = await breakers(settings).state(name, mode)
        found.append(ProviderHealth(provider=name, mode=mode, **state))
    return found
