"""Recurring collections for products: a payer's card charged every interval by the
provider (Paystack plans and subscriptions, paystack.com/docs/payments/subscriptions), each
charge a payment of its own through the one pipeline — verified before value, booked to the
subscription's ledger account, announced to the product as ``"{purpose}.payment_completed"``.

The flow (providers.md §1; DESIGN.md §5):

1. :func:`start` creates a plan of the amount at the provider (one plan per subscription, so
   a change of one amount never touches another's), then opens the first payment through
   :func:`kro.payments.collect.service.collect` with that plan: paying the hosted checkout
   subscribes the payer. The subscription is ``pending``.
2. The provider's ``subscription.create`` (platform-signed, stored once in the inbox) names the
   plan: the subscription becomes ``active`` with its code and email token.
3. Each renewal is a ``charge.success`` carrying the plan and a reference of the provider's:
   :func:`renewal` asks the provider's verify endpoint (no transaction open), then writes a
   payment for ``(purpose, purpose_id)`` with ``{"subscription_id"}`` in its metadata and
   settles it from that answer. The payment's reference is unique, so a repeated event books
   nothing twice.
4. :func:`cancel` disables it at the provider; :func:`change_amount` moves the payer to a new
   plan (``POST /subscription`` with the card the provider holds, first charge on the old
   one's next date) and disables the old subscription.

Services only flush; provider calls are made with no transaction open on the caller's session
(the caller reads first, then calls these).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.kit.db import released
from kro.payments import charges, platform, states
from kro.payments.collect.service import CollectRequest, collect
from kro.payments.errors import RecurringUnavailable, SubscriptionNotFound
from kro.payments.models import Payment, PaymentSubscription
from kro.providers import registry
from kro.providers.base import ProviderCharge, ProviderSubscription, RecurringProvider
from kro.settings import Settings

log = structlog.get_logger("kro.payments.subscriptions")
PROVIDER = "paystack"
"""The platform's provider for recurring collections (the only one with plans here)."""
INTERVALS = frozenset({"daily", "weekly", "monthly", "quarterly", "biannually", "annually"})
"""Paystack's plan intervals."""
ACTIVE, PENDING, CANCELLED = "active", "pending", "cancelled"


def _recurring(settings: Settings) -> Any:
    """The platform's adapter for :data:`PROVIDER`, checked to offer plans."""
    provider = charges.adapter(settings, platform.config(PROVIDER))
    if not isinstance(provider, RecurringProvider):  # pragma: no cover - configuration error
        raise RecurringUnavailable()
    return provider


async def start(
    session: AsyncSession,
    settings: Settings,
    request: CollectRequest,
    *,
    interval: str,
    purpose_id: str,
    plan_name: str,
) -> tuple[PaymentSubscription, Payment]:
    """Open the first payment of a subscription of ``request.amount`` minor units every
    ``interval`` and record the subscription (``pending``). ``request`` is the first charge
    (its ``purpose_id`` names what the first payment pays for); ``purpose_id`` names what the
    renewals pay for (the product's recurring gift). Raises RecurringUnavailable (422) for a
    currency or interval the provider cannot take, and the errors of ``collect``."""
    if interval not in INTERVALS or request.currency != "NGN" or request.method != "card":
        raise RecurringUnavailable(details={"interval": interval, "currency": request.currency})
    async with released(session), _recurring(settings) as provider:
        plan = await provider.create_plan(
            plan_name[:100], request.amount, request.currency, interval
        )
    payment = await collect(session, settings, replace(request, provider=PROVIDER, plan=plan))
    subscription = PaymentSubscription(
        provider=PROVIDER,
        purpose=request.purpose,
        purpose_id=purpose_id,
        amount=request.amount,
        currency=request.currency,
        interval=interval,
        customer_email=request.email.lower(),
        credit_account_id=request.credit_account_id,
        plan_code=plan,
        status=PENDING,
        first_payment_id=payment.id,
    )
    session.add(subscription)
    await session.flush()
    return subscription, payment


async def get(
    session: AsyncSession, subscription_id: str, *, lock: bool = False
) -> PaymentSubscription:
    """A subscription by id (the product scopes it to its caller); SubscriptionNotFound (404)."""
    found = await session.get(
        PaymentSubscription, subscription_id, with_for_update=lock or None, populate_existing=lock
    )
    if found is None:
        raise SubscriptionNotFound()
    return found


async def _by_plan(session: AsyncSession, plan: str) -> PaymentSubscription | None:
    stmt = select(PaymentSubscription).where(PaymentSubscription.plan_code == plan)
    return (await session.execute(stmt.with_for_update().limit(1))).scalar_one_or_none()


async def on_subscription_event(
    session: AsyncSession, event_type: str, reported: ProviderSubscription
) -> str:
    """Apply a verified ``subscription.create`` / ``.disable`` / ``.not_renew`` event (from
    the inbox). Returns what it did, for the inbox row. Idempotent."""
    subscription = await _by_plan(session, reported.plan)
    if subscription is None:
        return f"no subscription on plan {reported.plan}"
    if event_type == "subscription.create":
        if subscription.status != PENDING:
            return f"subscription {subscription.id} already {subscription.status}"
        subscription.status = ACTIVE
        subscription.subscription_code = reported.code
        subscription.email_token = reported.token
        subscription.next_payment_at = reported.next_payment_at
        await session.flush()
        return f"subscription {subscription.id} active"
    if event_type in ("subscription.disable", "subscription.not_renew"):
        if subscription.subscription_code != reported.code or subscription.status == CANCELLED:
            return "no change"
        subscription.status = CANCELLED
        await session.flush()
        return f"subscription {subscription.id} cancelled"
    return "event not handled"


def parse_subscription(data: dict[str, Any]) -> ProviderSubscription:
    """A ``subscription.*`` event's data in provider-neutral terms; BadRequest if not one."""
    adapter: Any = registry.spec(PROVIDER).adapter  # a staticmethod: no credentials
    reported: ProviderSubscription = adapter.parse_subscription(data)
    return reported


@dataclass(frozen=True)
class Renewal:
    """A renewal read from the inbox: the subscription it belongs to and the provider's
    reference of the charge."""

    subscription_id: str
    reference: str


async def find_renewal(session: AsyncSession, plan: str, reference: str) -> Renewal | None:
    """The renewal a ``charge.success`` carrying ``plan`` names, None if no subscription of
    ours is on that plan (or the charge is the first payment, already ours)."""
    stmt = select(PaymentSubscription).where(PaymentSubscription.plan_code == plan)
    subscription = (await session.execute(stmt.limit(1))).scalar_one_or_none()
    if subscription is None:
        return None
    return Renewal(subscription.id, reference)


async def ask_renewal(settings: Settings, renewal: Renewal) -> ProviderCharge:
    """The provider's verify endpoint on the renewal's reference (call with no transaction
    open: verify before value)."""
    async with _recurring(settings) as provider:
        charge: ProviderCharge = await provider.get_charge(renewal.reference, None)
        return charge


async def book_renewal(session: AsyncSession, renewal: Renewal, charge: ProviderCharge) -> Payment:
    """Write (once per reference) the renewal's payment and settle it from ``charge``, the
    provider's answer: completed when it says so (the product hears
    ``"{purpose}.payment_completed"``), left open otherwise. Idempotent."""
    subscription = await get(session, renewal.subscription_id, lock=True)
    stmt = select(Payment).where(Payment.reference == renewal.reference).with_for_update()
    payment = (await session.execute(stmt)).scalar_one_or_none()
    if payment is None:
        payment = Payment(
            provider=subscription.provider,
            reference=renewal.reference[:64],
            amount=subscription.amount,
            currency=subscription.currency,
            status=states.PENDING,
            purpose=subscription.purpose,
            purpose_id=subscription.purpose_id,
            customer_email=subscription.customer_email,
            credit_account_id=subscription.credit_account_id,
            channel="card",
            description=f"renewal of {subscription.id}",
            customer={"email": subscription.customer_email},
            metadata_={"subscription_id": subscription.id},
        )
        session.add(payment)
        await session.flush()
        await charges.record_created(session, payment, f"subscription:{subscription.id}")
        subscription.renewals += 1
    await charges.settle_charge(session, payment, charge, actor=f"provider:{payment.provider}")
    return payment


async def cancel(
    session: AsyncSession, settings: Settings, subscription_id: str
) -> PaymentSubscription:
    """Stop future charges: disabled at the provider, then ``cancelled`` here. Cancelling a
    cancelled subscription changes nothing; one not yet active is cancelled here only (its
    first checkout, if paid later, subscribes nobody we charge: the provider's
    ``subscription.create`` finds it cancelled). Raises SubscriptionNotFound (404) and the
    provider's errors (nothing changes then)."""
    found = await get(session, subscription_id)
    if found.status == CANCELLED:
        return found
    code, token = found.subscription_code, found.email_token
    if code and token:
        async with released(session), _recurring(settings) as provider:
            await provider.disable_subscription(code, token)
    found = await get(session, subscription_id, lock=True)
    found.status = CANCELLED
    await session.flush()
    return found


async def change_amount(
    session: AsyncSession, settings: Settings, subscription_id: str, amount: int, plan_name: str
) -> PaymentSubscription:
    """Charge ``amount`` minor units per interval from the next charge on: a new plan, the
    payer subscribed to it with the card the provider holds (first charge on the old
    subscription's next date), then the old subscription disabled. Raises
    SubscriptionNotFound (404), RecurringUnavailable (422) for a subscription that is not
    active, and the provider's errors (nothing changes here then)."""
    found = await get(session, subscription_id)
    if found.status != ACTIVE or not found.subscription_code or not found.email_token:
        raise RecurringUnavailable(
            "Only an active subscription can change its amount.",
            details={"status": found.status},
        )
    old_code, old_token, start_at = (
        found.subscription_code,
        found.email_token,
        found.next_payment_at,
    )
    async with released(session), _recurring(settings) as provider:
        plan = await provider.create_plan(plan_name[:100], amount, found.currency, found.interval)
        new = await provider.subscribe(found.customer_email, plan, start_at)
        await provider.disable_subscription(old_code, old_token)
    found = await get(session, subscription_id, lock=True)
    found.amount, found.plan_code = amount, plan
    found.subscription_code, found.email_token = new.code, new.token
    found.next_payment_at = new.next_payment_at or start_at
    found.updated_at = utcnow()
    await session.flush()
    log.info("subscription_amount_changed", subscription_id=found.id, amount=amount)
    return found
