"""The admin console's payments in review: each one the provider took for another amount or
currency than ours, with its two decisions — accept the provider's amount, or refund it — in
one form with a fresh TOTP code.

Thin: the decision is :func:`kro.payments.review.service.decide`, the function ``POST
/v1/admin/payments/{id}/review/accept|refund`` calls (provider asked again, TOTP, audit log).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.admin_pages import add_tile
from kro.identity.dependencies import AppSettings, ClientIp
from kro.kit.deps import DbSession
from kro.kit.errors import KroError
from kro.payments.review import service as review
from kro.payments.review.schemas import ReviewDecisionIn
from kro.web import navigation
from kro.web.dependencies import PageAdmin
from kro.web.forms import FORM, Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["admin payment review pages"])
PAGE = "/admin/payments/review"
navigation.add("admin", "Payments in review", PAGE, order=52)
add_tile("Payments in review", PAGE, review.count_waiting, order=25)


async def _page(
    request: Request, session: AsyncSession, form: Form | None = None, sent: str = ""
) -> Response:
    ctx = form.context() if form else {}
    payments = await review.list_waiting(session)
    return render(
        request,
        "payments/review/admin/review.html",
        {**ctx, "payments": payments, "sent": sent},
        status=form.status if form else 200,
    )


@router.get(PAGE)
async def waiting(request: Request, viewer: PageAdmin, session: DbSession) -> Response:
    """Payments waiting for a decision, oldest first, each with its decision form."""
    return await _page(request, session)


@router.post(PAGE + "/{payment_id}")
async def decide(
    request: Request,
    payment_id: str,
    viewer: PageAdmin,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Response:
    """Accept or refund (the button pressed says which) with a reason and a fresh code."""
    form = await read_form(request)
    decision = form["decision"]
    if decision not in review.DECISIONS:
        form.error(FORM, "validation_error", "Choose accept or refund.")
    body = form.parse(ReviewDecisionIn, {"totp_code": form["totp_code"], "reason": form["reason"]})
    payment = None
    if body is not None and form.ok:
        try:  # asked before the savepoint: no lock is held while the provider answers
            charge = await review.ask_provider(session, settings, payment_id)
        except KroError as exc:
            form.fail(exc)
        else:
            async with form.saving(session):
                payment = await review.decide(
                    session, viewer, payment_id, charge,
                    decision="accept" if decision == "accept" else "refund",
                    reason=body.reason, totp_code=body.totp_code, ip=ip,
                )  # fmt: skip
    if payment is None or not form.ok:
        return await _page(request, session, form, sent=payment_id)
    message = (
        "Accepted: the provider's amount is booked and the payment completed."
        if decision == "accept"
        else "Refund requested: the payment is refunded when the provider confirms."
    )
    return redirect(request, PAGE, message=message)
