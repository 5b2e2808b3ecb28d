"""The admin console's refunds paid by hand: each refund of a payment whose provider offers no
refund API (Remita), with whom to pay, and one form to record the bank transfer (or that it
could not be made) with a fresh TOTP code.

Thin: the record is :func:`kro.payments.refunds.service.record_manual_refund`, the function
``POST /v1/admin/refunds/{id}/manual`` calls (TOTP, locks, audit log).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.admin_pages import add_tile
from kro.identity.dependencies import ClientIp
from kro.kit.deps import DbSession
from kro.payments.refunds import service as refunds
from kro.payments.refunds.schemas import ManualRefundIn
from kro.web import navigation
from kro.web.dependencies import PageAdmin
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["admin manual refund pages"])
PAGE = "/admin/payments/manual-refunds"
navigation.add("admin", "Refunds to pay by hand", PAGE, order=53)
add_tile("Refunds to pay by hand", PAGE, refunds.count_waiting_for_an_operator, order=26)


async def _page(
    request: Request, session: AsyncSession, form: Form | None = None, sent: str = ""
) -> Response:
    ctx = form.context() if form else {}
    rows = await refunds.waiting_for_an_operator(session)
    return render(
        request,
        "payments/refunds/admin/manual.html",
        {**ctx, "rows": rows, "sent": sent},
        status=form.status if form else 200,
    )


@router.get(PAGE)
async def waiting(request: Request, viewer: PageAdmin, session: DbSession) -> Response:
    """Refunds waiting to be paid by hand, oldest first, each with its form."""
    return await _page(request, session)


@router.post(PAGE + "/{refund_id}")
async def record(
    request: Request, refund_id: str, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """Paid (with the transfer's reference) or not paid (the button pressed says which)."""
    form = await read_form(request)
    body = form.parse(
        ManualRefundIn,
        {
            "outcome": form["outcome"],
            "bank_reference": form["bank_reference"] or None,
            "note": form["note"],
            "totp_code": form["totp_code"],
        },
    )
    if body is not None:
        async with form.saving(session):
            await refunds.record_manual_refund(
                session, viewer, refund_id,
                paid=body.outcome == "paid", bank_reference=body.bank_reference,
                note=body.note, totp_code=body.totp_code, ip=ip,
            )  # fmt: skip
    if body is None or not form.ok:
        return await _page(request, session, form, sent=refund_id)
    paid = body.outcome == "paid"
    return redirect(
        request,
        PAGE,
        message="Recorded: the refund is paid."
        if paid
        else "Recorded: the refund failed and its money is back where it came from.",
    )
