"""An admin's decision on a payment in review (``needs_review``: the provider reported a
successful charge of another amount or currency than ours, so nothing was booked; DESIGN.md §5
"verify before value", §6 "admin actions that move money need a second factor").

:func:`ask_provider` reads the payment and asks the provider again (``get_charge``, with no
lock held), so the decision rests on the provider's current word; then :func:`decide` checks
the admin's fresh TOTP code, locks the payment, checks it is still in review (409
``payment_not_in_review`` otherwise) and applies :func:`apply_decision`:

- **accept**: the provider's amount becomes the payment's (the original is kept in the event
  and the audit log), its collection and fee are booked to the owner's account as for any
  confirmed charge (``needs_review → completed``, ``accept``) and the owner hears
  ``payment.completed`` (a product's ``{purpose}.payment_completed`` job, or the merchant's
  webhook). Another currency cannot be accepted (409 ``review_currency_differs``).
- **refund**: what the provider captured is parked in a review account of the payment
  (``payment_review:{payment_id}:{currency}``, a liability: owed back to the payer) and refunded
  from it in full through :mod:`kro.payments.refunds`. The payment stays ``needs_review``
  (out of the queue: ``amount_refunded`` is set) until the provider confirms the refund, then
  ``refund_all → refunded`` and the owner hears ``payment.refunded``; a refused refund is
  reversed and the payment is back in the queue, to be refunded again only (409
  ``review_refund_only`` for accepting: the money is parked for the payer). The provider's
  fee stays the platform's expense, as for any refund.

Each decision leaves an audit-log row (``payments.review_accepted`` / ``_refunded``). Services
only flush.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.identity import admin
from kro.identity.models import User
from kro.kit.db import released
from kro.ledger import chart
from kro.payments import charges, states
from kro.payments.errors import PaymentNotFound
from kro.payments.models import Payment, ProviderConfig
from kro.payments.refunds import service as refunds
from kro.payments.review.errors import (
    PaymentNotInReview,
    ProviderHasNoCharge,
    ReviewCurrencyDiffers,
    ReviewRefundOnly,
)
from kro.providers.base import ChargeStatus, ProviderCharge
from kro.settings import Settings

Decision = Literal["accept", "refund"]
DECISIONS: tuple[Decision, ...] = ("accept", "refund")


def waiting(payment: Payment) -> bool:
    """In review and not yet decided (no refund on its way)."""
    return payment.status == states.NEEDS_REVIEW and payment.amount_refunded == 0


def _in_review(payment: Payment | None) -> Payment:
    if payment is None:
        raise PaymentNotFound()
    if not waiting(payment):
        raise PaymentNotInReview(
            details={"status": payment.status, "refund_pending": payment.amount_refunded > 0}
        )
    return payment


async def list_waiting(session: AsyncSession, *, limit: int = 100) -> list[Payment]:
    """Payments waiting for a decision, oldest first (a merchant's and the products')."""
    rows = await session.scalars(
        select(Payment)
        .where(Payment.status == states.NEEDS_REVIEW, Payment.amount_refunded == 0)
        .order_by(Payment.updated_at, Payment.id)
        .limit(limit)
    )
    return list(rows)


async def count_waiting(session: AsyncSession) -> int:
    """How many payments wait for a review decision."""
    stmt = select(func.count()).where(
        Payment.status == states.NEEDS_REVIEW, Payment.amount_refunded == 0
    )
    return int(await session.scalar(stmt) or 0)


async def ask_provider(
    session: AsyncSession, settings: Settings, payment_id: str
) -> ProviderCharge:
    """The provider's current view of the payment in review (PaymentNotFound,
    PaymentNotInReview first). ``session``'s transaction is ended before the call if it wrote
    nothing (:func:`kro.kit.db.released`): no lock is held while the provider answers."""
    payment = _in_review(await session.get(Payment, payment_id))
    config: ProviderConfig = await charges.config_of(session, payment)
    reference, provider_id = payment.reference, payment.provider_transaction_id
    async with released(session), charges.adapter(settings, config) as provider:
        charge: ProviderCharge = await provider.get_charge(reference, provider_id)
    return charge


async def decide(
    session: AsyncSession,
    admin_user: User,
    payment_id: str,
    charge: ProviderCharge,
    *,
    decision: Decision,
    reason: str,
    totp_code: str,
    ip: str | None = None,
) -> Payment:
    """An admin's ``decision`` on the payment in review, from ``charge`` — the provider's
    answer just given to :func:`ask_provider` (see the module docstring): the fresh TOTP code,
    then the payment locked and re-checked, :func:`apply_decision` and the audit-log row.

    Raises TotpRequired (403, field ``totp_code``), PaymentNotFound (404), PaymentNotInReview
    (409: decided meanwhile), ProviderHasNoCharge (409), ReviewCurrencyDiffers and
    ReviewRefundOnly (409, accepting only) and InsufficientFunds (409)."""
    await admin.require_totp(session, admin_user, totp_code, field="totp_code")
    payment = _in_review(
        await session.get(Payment, payment_id, with_for_update=True, populate_existing=True)
    )
    before = (payment.amount, payment.currency)
    await apply_decision(session, payment, charge, decision, reason, actor=f"admin:{admin_user.id}")
    await audit.record(
        session,
        actor_id=admin_user.id,
        action=f"payments.review_{'accepted' if decision == 'accept' else 'refunded'}",
        target_type="payment",
        target_id=payment.id,
        ip=ip,
        details={"reason": reason, "ours": {"amount": before[0], "currency": before[1]},
                 "provider": {"amount": charge.amount, "currency": charge.currency.upper(),
                              "status": str(charge.status)}},
    )  # fmt: skip
    return payment


async def ask_and_decide(
    session: AsyncSession,
    settings: Settings,
    admin_user: User,
    payment_id: str,
    *,
    decision: Decision,
    reason: str,
    totp_code: str,
    ip: str | None = None,
) -> Payment:
    """:func:`ask_provider`, then :func:`decide` (the admin API); the provider's errors
    (502/503/504) leave nothing decided."""
    charge = await ask_provider(session, settings, payment_id)
    return await decide(
        session, admin_user, payment_id, charge,
        decision=decision, reason=reason, totp_code=totp_code, ip=ip,
    )  # fmt: skip


async def apply_decision(
    session: AsyncSession,
    payment: Payment,
    charge: ProviderCharge,
    decision: Decision,
    reason: str,
    *,
    actor: str,
) -> None:
    """Apply ``decision`` to ``payment`` (locked, in review) from the provider's ``charge``
    (its status endpoint's current answer); see the module docstring. Raises
    ProviderHasNoCharge, ReviewCurrencyDiffers, ReviewRefundOnly (409); nothing is written
    then."""
    if charge.status is not ChargeStatus.SUCCEEDED:
        raise ProviderHasNoCharge(details={"provider_status": str(charge.status)})
    currency, captured = charge.currency.upper(), charge.amount_captured or charge.amount
    if decision == "accept" and payment.amount_captured:
        raise ReviewRefundOnly(details={"parked": payment.amount_captured})
    if decision == "accept" and currency != payment.currency:
        raise ReviewCurrencyDiffers(details={"ours": payment.currency, "provider": currency})
    note = (
        f"{decision} by an admin: the provider took {captured} {currency}, we asked "
        f"{payment.amount} {payment.currency}; {reason}"
    )
    if decision == "accept":
        payment.amount, payment.failure_reason = captured, None
        await charges.complete(session, payment, charge, "accept", actor, note)
        return
    parked = payment.amount_captured > 0  # by an earlier refund the provider refused
    if not parked:
        payment.amount, payment.currency, payment.failure_reason = captured, currency, None
    account = await chart.ensure_account(session, review_account(payment.id, payment.currency))
    if not parked:
        await charges.post_collection(session, payment, captured, charge.fee, into=account.id)
        payment.amount_captured, payment.provider_fee = captured, charge.fee
    await refunds.request_refund(
        session, payment, None, note[:200], from_account_id=account.id, actor=actor
    )


def review_account(payment_id: str, currency: str) -> chart.AccountDef:
    """Liability: what the provider took for a payment in review that is being refunded (owed
    back to the payer). Credited by the parked collection, debited by the refund: zero after."""
    return chart.AccountDef(
        f"payment_review:{payment_id}:{currency}",
        currency,
        "liability",
        debits_must_not_exceed_credits=True,
    )
