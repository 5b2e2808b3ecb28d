"""Asking the provider again about open payments, until they settle (DESIGN.md §5 "Unknown
outcomes", "Verify before value").

A payment is *open* (``kro.payments.states.OPEN``) while its outcome is still to come from the
provider: a hosted checkout not yet paid, an answer lost to a timeout, a webhook that arrived
before the provider's own record said ``success``. Nothing may depend on a webhook arriving
(or arriving late enough), so two mechanisms ask the provider's status endpoint themselves —
for every open payment, a merchant's or a product's:

1. **Backoff after an unconfirmed event** (:func:`schedule`): when an event about an open
   payment was processed and the provider did not confirm, ``payments.verify_payment`` asks
   again after :data:`BACKOFF` (30 s, 2 min, 10 min, 30 min, 2 h).
2. **The sweep** (:func:`due_for_sweep`, periodic ``payments.reconcile_open``): every tick,
   every open payment younger than ``KRO_PAYMENTS_VERIFY_HOT`` seconds, and once an hour every
   one younger than ``KRO_PAYMENTS_VERIFY_HORIZON`` — so a payment whose webhook never arrives
   is settled all the same.

Each check reads the payment in a short transaction, asks the provider with no transaction
open, then locks the payment and settles it from the provider's answer
(:func:`kro.payments.charges.settle_charge`: idempotent; the ledger's ids derive from the
payment). A provider that cannot answer now is simply asked at the next check.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.payments import charges, states
from kro.payments.models import Payment
from kro.providers import registry
from kro.providers.base import ProviderCharge
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.settings import Settings

log = structlog.get_logger("kro.payments.reconciliation.verification")
ACTOR = "verification"
JOB = "payments.verify_payment"
BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
)
"""Delays before each re-check after an unconfirmed event (then the sweep takes over)."""
ASKABLE = frozenset(n for n, spec in registry.providers().items() if "card" in spec.methods)
"""Providers whose status endpoint answers for our reference (a hosted checkout); a bank
transfer can be asked about only by the settlement its notification names."""
SWEEP_LIMIT = 500
"""Open payments checked per sweep at most (oldest check first); the rest wait a tick."""


async def schedule(session: AsyncSession, payment: Payment, step: int = 0) -> None:
    """Queue check ``step`` (0-based) of ``payment`` after ``BACKOFF[step]``; nothing after
    the last step or when the payment is no longer open."""
    if step >= len(BACKOFF) or payment.status not in states.OPEN:
        return
    await enqueue(
        session,
        JOB,
        {"payment_id": payment.id, "step": step},
        run_at=utcnow() + BACKOFF[step],
        dedupe_key=f"verify:{payment.id}:{step}",
    )


async def ask(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, payment_id: str
) -> ProviderCharge | None:
    """The provider's current view of an open payment (its status endpoint), asked with no
    transaction open. None when there is nothing to ask (not open, not a provider's, its
    configuration gone) or the provider cannot say now."""
    async with unit_of_work(sessions) as read:
        payment = await read.get(Payment, payment_id)
        if payment is None or payment.status not in states.OPEN or payment.provider not in ASKABLE:
            return None
        try:
            config = await charges.config_of(read, payment)
        except Exception:  # a deleted configuration: reconciliation reports it
            return None
        read.expunge_all()
    try:
        async with charges.adapter(settings, config) as provider:
            charge: ProviderCharge = await provider.get_charge(
                payment.reference, payment.provider_transaction_id
            )
            return charge
    except (ProviderUnavailable, ProviderTimeout, ProviderRejected) as exc:
        log.info("verify_unanswered", payment_id=payment_id, error=exc.code)
        return None


async def apply(session: AsyncSession, payment_id: str, charge: ProviderCharge) -> Payment | None:
    """Lock the payment and settle it from ``charge`` (actor ``verification``); returns it."""
    payment = await session.get(Payment, payment_id, with_for_update=True, populate_existing=True)
    if payment is None:
        return None
    changed = await charges.settle_charge(session, payment, charge, actor=ACTOR)
    if changed:
        log.info("payment_settled_by_verification", payment_id=payment.id, status=payment.status)
    return payment


async def due_for_sweep(
    session: AsyncSession, settings: Settings, now: datetime, *, hourly: bool
) -> list[str]:
    """Ids of the open payments to check now: younger than ``KRO_PAYMENTS_VERIFY_HOT``
    seconds, or (``hourly``) than ``KRO_PAYMENTS_VERIFY_HORIZON``; created at least a minute
    ago (a fresh checkout is not paid yet); least recently updated first."""
    horizon = settings.payments_verify_horizon if hourly else settings.payments_verify_hot
    rows = await session.scalars(
        select(Payment.id)
        .where(
            Payment.status.in_(states.OPEN),
            Payment.provider.in_(ASKABLE),
            Payment.created_at >= now - timedelta(seconds=horizon),
            Payment.created_at <= now - timedelta(minutes=1),
        )
        .order_by(Payment.updated_at)
        .limit(SWEEP_LIMIT)
    )
    return list(rows)
