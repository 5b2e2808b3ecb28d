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


async def _decide(
    decision: review.Decision,
    payment_id: str,
    body: ReviewDecisionIn,
    user: AdminUser,
    session: DbSession,
    settings: AppSettings,
    ip: str | None,
) -> ReviewPaymentOut:
    payment = await review.ask_and_decide(
        session, settings, user, payment_id,
        decision=decision, reason=body.reason, totp_code=body.totp_code, ip=ip,
    )  # fmt: skip
    return ReviewPaymentOut.model_validate(payment)


@router.post(
    "/{payment_id}/review/accept",
    responses=error_responses(*_DECISION_ERRORS, ReviewCurrencyDiffers, ReviewRefundOnly),
)
async def accept(
    payment_id: str,
    body: ReviewDecisionIn,
    user: AdminUser,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Envelope[ReviewPaymentOut]:
    """Book what the provider captured (asked again now) and complete the payment; its owner
    hears ``payment.completed``. 403 ``totp_required``; 404 ``payment_not_found``; 409
    ``payment_not_in_review``, ``review_charge_not_confirmed``, ``review_currency_differs``,
    ``review_refund_only``;
    502/503/504 the provider's (nothing decided)."""
    return ok(await _decide("accept", payment_id, body, user, session, settings, ip))


@router.post(
    "/{payment_id}/review/refund",
    responses=error_responses(*_DECISION_ERRORS, InsufficientFunds),
)
async def refund(
    payment_id: str,
    body: ReviewDecisionIn,
    user: AdminUser,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Envelope[ReviewPaymentOut]:
    """Refund what the provider captured in full (through the refunds module); the payment
    leaves the queue now and becomes ``refunded`` when the provider confirms (back in the
    queue if it refuses). Errors as accepting, without ``review_currency_differs`` and
    ``review_refund_only``; 409 ``insufficient_funds``."""
    return ok(await _decide("refund", payment_id, body, user, session, settings, ip))
