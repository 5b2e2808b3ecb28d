"""Use cases on refunds (docs.stripe.com/api/refunds): create against a PaymentIntent or its
charge, settle pending ones. Each only flushes. Amounts are minor units.

A card refund is ``pending`` for ``config.refund_settle_delay`` seconds, then ``succeeded``
(``refund.updated``); with a delay of 0 it succeeds in the request. The charge's
``amount_refunded`` counts every refund not failed, so the total can never pass what was
captured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.sandbox.stripe import shapes, webhooks
from kro.sandbox.stripe.config import StripeSandboxConfig
from kro.sandbox.stripe.errors import StripeApiError, invalid, no_such
from kro.sandbox.stripe.forms import new_object_id
from kro.sandbox.stripe.models import PaymentIntent, Refund

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


@dataclass(frozen=True)
class NewRefund:
    """A validated ``POST /v1/refunds``; ``amount`` None = everything not yet refunded."""

    amount: int | None = None
    reason: str | None = None
    metadata: dict[str, str] | None = None


def _money(amount: int, currency: str) -> str:
    return f"{amount} {currency}"


async def create(
    session: AsyncSession, config: StripeSandboxConfig, pi: PaymentIntent, new: NewRefund
) -> Refund:
    """Refund part or all of ``pi``'s captured amount: ``refund.created`` and
    ``charge.refunded``. Raises 400 when nothing was captured, when already fully refunded,
    or when ``amount`` exceeds what remains."""
    if pi.status != "succeeded" or pi.charge_id is None:
        raise StripeApiError(
            f"This PaymentIntent ({pi.id}) does not have a successful charge to refund.",
            code="charge_not_refundable",
            param="payment_intent",
        )
    remaining = pi.amount_received - pi.amount_refunded
    if remaining <= 0:
        raise StripeApiError(
            f"Charge {pi.charge_id} has already been refunded.", code="charge_already_refunded"
        )
    amount = remaining if new.amount is None else new.amount
    if amount <= 0:
        raise invalid("Invalid positive integer", param="amount")
    if amount > remaining:
        raise StripeApiError(
            f"Refund amount ({_money(amount, pi.currency)}) is greater than unrefunded amount "
            f"on charge ({_money(remaining, pi.currency)})",
            code="amount_too_large",
            param="amount",
        )
    now = clock.now()
    delay = config.refund_settle_delay
    refund = Refund(
        id=new_object_id("re"),
        account_id=pi.account_id,
        payment_intent_id=pi.id,
        charge_id=pi.charge_id,
        amount=amount,
        currency=pi.currency,
        status="pending" if delay > 0 else "succeeded",
        reason=new.reason,
        meta=new.metadata or {},
        balance_transaction_id=new_object_id("txn"),
        created=now,
        settle_at=now + timedelta(seconds=delay) if delay > 0 else None,
    )
    pi.amount_refunded += amount
    session.add(refund)
    await session.flush()
    await webhooks.emit(session, pi.account_id, "refund.created", shapes.refund(refund))
    await webhooks.emit(session, pi.account_id, "charge.refunded", shapes.charge(pi))
    return refund


async def settle_due(session: AsyncSession) -> int:
    """Make every pending refund whose ``settle_at`` passed ``succeeded``
    (``refund.updated``). Returns how many."""
    rows = (
        await session.scalars(
            select(Refund)
            .where(Refund.status == "pending", Refund.settle_at <= clock.now())
            .with_for_update()
            .limit(200)
        )
    ).all()
    for refund in rows:
        refund.status, refund.settle_at = "succeeded", None
        await session.flush()
        await webhooks.emit(session, refund.account_id, "refund.updated", shapes.refund(refund))
    return len(rows)


async def find(session: AsyncSession, account_id: str, refund_id: str) -> Refund:
    """The account's refund; Stripe's 404 otherwise."""
    refund = await session.scalar(
        select(Refund).where(Refund.id == refund_id, Refund.account_id == account_id)
    )
    if refund is None:
        raise no_such("refund", refund_id, param="refund")
    return refund


async def by_balance_transaction(session: AsyncSession, account_id: str, txn: str) -> Refund | None:
    return await session.scalar(
        select(Refund).where(Refund.balance_transaction_id == txn, Refund.account_id == account_id)
    )
