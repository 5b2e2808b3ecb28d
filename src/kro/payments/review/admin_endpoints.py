"""``/v1/admin/payments/review``: payments whose provider took another amount or currency than
ours (``needs_review``), and an admin's decision with a fresh TOTP code — accept the
provider's amount, or refund it in full. Thin handlers over :mod:`.service`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kro.identity.dependencies import AdminUser, AppSettings, ClientIp
from kro.identity.errors import TotpRequired
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.ledger.errors import InsufficientFunds
from kro.payments.errors import PaymentNotFound
from kro.payments.review import service as review
from kro.payments.review.errors import (
    PaymentNotInReview,
    ProviderHasNoCharge,
    ReviewCurrencyDiffers,
    ReviewRefundOnly,
)
from kro.payments.review.schemas import ReviewDecisionIn, ReviewPaymentOut
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable

router = APIRouter(prefix="/v1/admin/payments", tags=["admin: payments in review"])

_DECISION_ERRORS = (
    TotpRequired,
    PaymentNotFound,
    PaymentNotInReview,
    ProviderHasNoCharge,
    ProviderRejected,
    ProviderUnavailable,
    ProviderTimeout,
)


@router.get("/review")
async def waiting(
    _: AdminUser, session: DbSession, limit: Annotated[int, Query(ge=1, le=200)] = 100
) -> Envelope[list[ReviewPaymentOut]]:
    """Payments waiting for a decision, oldest first (merchants' and the products')."""
    rows = await review.list_waiting(session, limit=limit)
    return ok([ReviewPaymentOut.model_validate(p) for p in rows])


@router.post(
    "/{payment_id}/review/{decision}",
    responses=error_responses(
        *_DECISION_ERRORS, ReviewCurrencyDiffers, ReviewRefundOnly, InsufficientFunds
    ),
)
async def decide(
    payment_id: str,
    decision: review.Decision,
    body: ReviewDecisionIn,
    user: AdminUser,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Envelope[ReviewPaymentOut]:
    """An admin's decision on a payment in review, the provider asked again first:

    - ``accept``: book what the provider captured and complete the payment; its owner hears
      ``payment.completed``. 409 ``review_currency_differs`` (another currency: refund it),
      ``review_refund_only`` (a refused refund left it parked for the payer).
    - ``refund``: refund what the provider captured in full (the refunds module); the payment
      leaves the queue now and becomes ``refunded`` when the provider confirms (back in the
      queue if it refuses). 409 ``insufficient_funds``.

    Both: 403 ``totp_required``; 404 ``payment_not_found``; 409 ``payment_not_in_review``,
    ``review_charge_not_confirmed``; 502/503/504 the provider's (nothing decided); 422
    ``validation_error`` (another decision)."""
    payment = await review.ask_and_decide(
        session, settings, user, payment_id,
        decision=decision, reason=body.reason, totp_code=body.totp_code, ip=ip,
    )  # fmt: skip
    return ok(ReviewPaymentOut.model_validate(payment))
