"""``/v1/admin/refunds/manual``: refunds of payments whose provider offers no refund API
(Remita), which an operator pays by bank transfer and then records here with a fresh TOTP
code. Thin handlers over :mod:`.service`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kro.identity.dependencies import AdminUser, ClientIp
from kro.identity.errors import TotpRequired
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.payments.errors import RefundNotFound, RefundNotManual
from kro.payments.refunds import service as refunds
from kro.payments.refunds.schemas import ManualRefundIn, ManualRefundOut

router = APIRouter(prefix="/v1/admin/refunds", tags=["admin: refunds paid by hand"])


@router.get("/manual")
async def waiting(
    _: AdminUser, session: DbSession, limit: Annotated[int, Query(ge=1, le=200)] = 100
) -> Envelope[list[ManualRefundOut]]:
    """Refunds waiting to be paid by hand, oldest first: amount (minor units), payer, payment."""
    rows = await refunds.waiting_for_an_operator(session, limit=limit)
    return ok([ManualRefundOut.of(refund, payment) for refund, payment in rows])


@router.post(
    "/{refund_id}/manual",
    responses=error_responses(TotpRequired, RefundNotFound, RefundNotManual),
)
async def record(
    refund_id: str, body: ManualRefundIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[ManualRefundOut]:
    """Record what was done by hand: ``paid`` (with the transfer's ``bank_reference``) makes
    the refund ``processed`` and the payment (partially) ``refunded``, and its owner hears;
    ``not_paid`` fails it and puts the money back where it came from.

    403 ``totp_required``; 404 ``refund_not_found``; 409 ``refund_not_manual`` (not paid by
    hand, or recorded already); 422 ``validation_error`` (``paid`` without a reference)."""
    refund = await refunds.record_manual_refund(
        session, user, refund_id,
        paid=body.outcome == "paid", bank_reference=body.bank_reference, note=body.note,
        totp_code=body.totp_code, ip=ip,
    )  # fmt: skip
    payment = await refunds.payment_of(session, refund)
    return ok(ManualRefundOut.of(refund, payment))
