"""Use cases on PaymentIntents: create, confirm (test payment methods), the hosted page's
pay/decline, capture, cancel, expiry of uncaptured authorizations. Each takes the session and
only flushes; the caller owns the transaction. Amounts are minor units.

Test payment methods (docs.stripe.com/testing): ``pm_card_visa`` (and other ``pm_card_<brand>``)
succeed; ``pm_card_chargeDeclined*`` are declined with the matching code; 3-D Secure cards
(``pm_card_threeDSecure2Required``, ``pm_card_threeDSecureRequired``,
``pm_card_authenticationRequired``) need the customer on the hosted page first.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.kit.money import Money
from kro.sandbox.stripe import shapes, webhooks
from kro.sandbox.stripe.config import StripeSandboxConfig
from kro.sandbox.stripe.errors import StripeApiError, invalid, no_such, unexpected_state
from kro.sandbox.stripe.forms import new_object_id
from kro.sandbox.stripe.models import PaymentIntent

SUCCEEDING = frozenset({"pm_card_visa", "pm_card_visa_debit", "pm_card_mastercard",
                        "pm_card_amex", "pm_card_discover", "pm_card_us"})  # fmt: skip
THREE_D_SECURE = frozenset(
    {"pm_card_threeDSecure2Required", "pm_card_threeDSecureRequired",
     "pm_card_authenticationRequired"}
)  # fmt: skip
# pm → (code, decline_code, message), docs.stripe.com/testing#declined-payments
DECLINES: dict[str, tuple[str, str | None, str]] = {
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "pm_card_chargeDeclinedLostCard": ("card_declined", "lost_card", "Your card was declined."),
    "pm_card_chargeDeclinedStolenCard": ("card_declined", "stolen_card", "Your card was declined."),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", None, "Your card has expired."),
    "pm_card_chargeDeclinedIncorrectCvc": (
        "incorrect_cvc", None, "Your card's security code is incorrect."),
    "pm_card_chargeDeclinedProcessingError": (
        "processing_error", None, "An error occurred while processing your card. Try again."),
}  # fmt: skip
CONFIRMABLE = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})
CANCELABLE = frozenset(
    {"requires_payment_method", "requires_capture", "requires_confirmation", "requires_action",
     "processing"}
)  # fmt: skip
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


@dataclass(frozen=True)
class NewIntent:
    """A validated ``POST /v1/payment_intents``: ``amount`` minor units, ``currency`` lower
    case; ``confirm`` with ``payment_method`` confirms at once."""

    amount: int
    currency: str
    capture_method: str = "automatic"
    confirm: bool = False
    payment_method: str | None = None
    receipt_email: str | None = None
    description: str | None = None
    metadata: dict[str, str] | None = None
    return_url: str | None = None


class Intents:
    """The use cases of one simulator (its ``config``)."""

    def __init__(self, config: StripeSandboxConfig) -> None:
        self.config = config

    def shape(self, pi: PaymentIntent, expand: set[str] | None = None) -> dict[str, Any]:
        return shapes.payment_intent(pi, self.config.public_base_url, expand)

    async def _emit(self, session: AsyncSession, pi: PaymentIntent, *types: str) -> None:
        for type_ in types:
            obj = shapes.charge(pi) if type_.startswith("charge.") else self.shape(pi)
            await webhooks.emit(session, pi.account_id, type_, obj)

    async def create(self, session: AsyncSession, account_id: str, new: NewIntent) -> PaymentIntent:
        """A PaymentIntent in ``requires_payment_method`` (``payment_intent.created``); with
        ``confirm`` it is confirmed in the same call (which may raise the card error)."""
        pi_id = new_object_id("pi")
        pi = PaymentIntent(
            id=pi_id,
            account_id=account_id,
            amount=new.amount,
            currency=new.currency,
            status="requires_payment_method",
            capture_method=new.capture_method,
            client_secret=f"{pi_id}_secret_{secrets.token_urlsafe(18)}",
            amount_capturable=0, amount_received=0, amount_refunded=0, fee=0,
            payment_method=new.payment_method,
            description=new.description,
            receipt_email=new.receipt_email,
            meta=new.metadata or {},
            return_url=new.return_url,
            created=clock.now(),
        )  # fmt: skip
        session.add(pi)
        await session.flush()
        await self._emit(session, pi, "payment_intent.created")
        if new.payment_method and not new.confirm:
            pi.status = "requires_confirmation"
        if new.confirm:
            await self.confirm(session, pi, new.payment_method, new.return_url)
        return pi

    async def confirm(
        self,
        session: AsyncSession,
        pi: PaymentIntent,
        payment_method: str | None,
        return_url: str | None,
    ) -> PaymentIntent:
        """Try ``payment_method`` (or the one attached). Declined → the PI goes back to
        ``requires_payment_method`` with ``last_payment_error`` and a 402 ``card_error`` is
        raised (kept); 3-D Secure → ``requires_action``; else authorized or captured."""
        if pi.status not in CONFIRMABLE:
            raise unexpected_state(
                f"You cannot confirm this PaymentIntent because it has a status of {pi.status}.",
                extra={"payment_intent": self.shape(pi)},
            )
        method = payment_method or pi.payment_method
        if not method:
            raise unexpected_state(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "To confirm the PaymentIntent with cus_… or pm_…, specify a payment method "
                "attached to this customer along with the customer ID."
            )
        if method not in SUCCEEDING | THREE_D_SECURE and method not in DECLINES:
            raise no_such("PaymentMethod", method, param="payment_method")
        pi.payment_method = method
        if return_url:
            pi.return_url = return_url
        if method in DECLINES:
            await self.decline(session, pi, *DECLINES[method])
        if method in THREE_D_SECURE:
            # Authentication happens on the hosted page only; confirming again changes nothing.
            if pi.status != "requires_action":
                pi.status = "requires_action"
                pi.last_payment_error = None
                await session.flush()
                await self._emit(session, pi, "payment_intent.requires_action")
            return pi
        return await self.authorize(session, pi)

    async def authorize(self, session: AsyncSession, pi: PaymentIntent) -> PaymentIntent:
        """The card is approved: a succeeded charge; manual capture → ``requires_capture`` for
        ``authorization_validity``; automatic → captured in full."""
        now = clock.now()
        pi.charge_id, pi.charge_status = new_object_id("ch"), "succeeded"
        pi.last_payment_error = None
        pi.authorized_at = now
        if pi.capture_method == "manual":
            pi.status = "requires_capture"
            pi.amount_capturable = pi.amount
            pi.capture_before = now + timedelta(seconds=self.config.authorization_validity)
            await session.flush()
            await self._emit(
                session, pi, "charge.succeeded", "payment_intent.amount_capturable_updated"
            )
            return pi
        self._capture(pi, pi.amount)
        await session.flush()
        await self._emit(session, pi, "charge.succeeded", "payment_intent.succeeded")
        return pi

    async def decline(
        self,
        session: AsyncSession,
        pi: PaymentIntent,
        code: str,
        decline_code: str | None,
        message: str,
    ) -> None:
        """A failed attempt: a failed charge, ``last_payment_error``, back to
        ``requires_payment_method``, events; raises the 402 ``card_error`` (kept)."""
        charge_id = new_object_id("ch")
        error: dict[str, Any] = {
            "charge": charge_id, "code": code, "decline_code": decline_code,
            "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
            "message": message, "payment_method": {"id": pi.payment_method, "type": "card"},
            "type": "card_error",
        }  # fmt: skip
        pi.charge_id, pi.charge_status = charge_id, "failed"
        pi.last_payment_error = error
        pi.payment_method = None
        pi.status = "requires_payment_method"
        await session.flush()
        await self._emit(session, pi, "charge.failed", "payment_intent.payment_failed")
        extra: dict[str, Any] = {"charge": charge_id, "payment_intent": self.shape(pi)}
        if decline_code:
            extra["decline_code"] = decline_code
        raise StripeApiError(
            message, type="card_error", http_status=402, code=code, extra=extra, keep=True
        )

    async def fail_authentication(self, session: AsyncSession, pi: PaymentIntent) -> None:
        """The customer failed 3-D Secure on the hosted page: back to
        ``requires_payment_method`` with ``payment_intent_authentication_failure``."""
        pi.last_payment_error = {
            "code": "payment_intent_authentication_failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide "
            "payment_method_data or a new PaymentMethod to attempt to fulfill this "
            "PaymentIntent again.",
            "payment_method": {"id": pi.payment_method, "type": "card"},
            "type": "invalid_request_error",
        }
        pi.payment_method = None
        pi.status = "requires_payment_method"
        await session.flush()
        await self._emit(session, pi, "payment_intent.payment_failed")

    def _capture(self, pi: PaymentIntent, amount: int) -> None:
        rule = self.config.fee_rule(pi.currency)
        pi.status = "succeeded"
        pi.amount_received = amount
        pi.amount_capturable = 0
        pi.fee = _fee(amount, pi.currency, rule.bps, rule.flat)
        pi.balance_transaction_id = new_object_id("txn")
        pi.captured_at = clock.now()

    async def capture(
        self, session: AsyncSession, pi: PaymentIntent, amount_to_capture: int | None
    ) -> PaymentIntent:
        """Capture ``amount_to_capture`` (≤ ``amount_capturable``; default all) of a
        ``requires_capture`` PI; the rest of the hold is released."""
        if pi.status != "requires_capture":
            raise unexpected_state(
                "This PaymentIntent could not be captured because it has a status of "
                f"{pi.status}. Only a PaymentIntent with one of the following statuses may be "
                "captured: requires_capture.",
                extra={"payment_intent": self.shape(pi)},
            )
        amount = pi.amount_capturable if amount_to_capture is None else amount_to_capture
        if amount <= 0:
            raise invalid("Invalid positive integer", param="amount_to_capture")
        if amount > pi.amount_capturable:
            raise StripeApiError(
                f"The amount to capture ({amount}) is greater than the amount capturable "
                f"({pi.amount_capturable}).",
                code="amount_too_large",
                param="amount_to_capture",
            )
        self._capture(pi, amount)
        await session.flush()
        await self._emit(session, pi, "charge.captured", "payment_intent.succeeded")
        return pi

    async def cancel(
        self, session: AsyncSession, pi: PaymentIntent, reason: str | None
    ) -> PaymentIntent:
        """Cancel (release the hold); Stripe's 400 from a terminal status."""
        if pi.status not in CANCELABLE:
            raise unexpected_state(
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{pi.status}. Only a PaymentIntent with one of the following statuses may be "
                f"canceled: {', '.join(sorted(CANCELABLE))}.",
                extra={"payment_intent": self.shape(pi)},
            )
        pi.status = "canceled"
        pi.cancellation_reason = reason
        pi.amount_capturable = 0
        pi.canceled_at = clock.now()
        await session.flush()
        await self._emit(session, pi, "payment_intent.canceled")
        return pi

    async def expire_due(self, session: AsyncSession, *, pi_id: str | None = None) -> int:
        """Cancel (``cancellation_reason: "automatic"``) uncaptured authorizations whose
        ``capture_before`` has passed — or, with ``pi_id``, that one now. Returns how many."""
        query = select(PaymentIntent).where(PaymentIntent.status == "requires_capture")
        if pi_id is not None:
            query = query.where(PaymentIntent.id == pi_id)
        else:
            query = query.where(PaymentIntent.capture_before <= clock.now())
        rows = (await session.scalars(query.with_for_update().limit(200))).all()
        for pi in rows:
            await self.cancel(session, pi, "automatic")
        return len(rows)


def _fee(amount: int, currency: str, bps: int, flat: int) -> int:
    """Stripe's fee on ``amount`` minor units: ``bps`` of it (half up) plus ``flat``."""
    try:
        percent = Money(amount, currency.upper()).percent_bps(bps).amount
    except ValueError:  # a currency kit.money does not list: same rounding by hand
        percent = (amount * bps + 5_000) // 10_000
    return min(amount, percent + flat)


async def find(
    session: AsyncSession, account_id: str, pi_id: str, *, for_update: bool = False
) -> PaymentIntent:
    """The account's PaymentIntent ``pi_id``; Stripe's 404 otherwise."""
    query = select(PaymentIntent).where(
        PaymentIntent.id == pi_id, PaymentIntent.account_id == account_id
    )
    pi = await session.scalar(query.with_for_update() if for_update else query)
    if pi is None:
        raise no_such("payment_intent", pi_id, param="intent")
    return pi


async def by_charge(session: AsyncSession, account_id: str, charge_id: str) -> PaymentIntent:
    """The account's PaymentIntent whose latest charge is ``charge_id``; 404 otherwise."""
    pi = await session.scalar(
        select(PaymentIntent)
        .where(PaymentIntent.charge_id == charge_id, PaymentIntent.account_id == account_id)
        .with_for_update()
    )
    if pi is None:
        raise no_such("charge", charge_id, param="charge")
    return pi
