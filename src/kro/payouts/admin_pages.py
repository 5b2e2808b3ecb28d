"""The admin console's payouts: those waiting for approval (and every other, by status), and
the decision — approve or reject with a reason — with a fresh TOTP code in the same form.

Thin: the decision is :func:`kro.payouts.admin_endpoints.decide_with_totp`, the function
``POST /v1/admin/payouts/{id}/approve|reject`` calls (TOTP, :func:`kro.payouts.service.decide`,
the audit log).
"""

from __future__ import annotations

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity import service as identity
from kro.identity.admin_pages import add_tile
from kro.identity.dependencies import ClientIp
from kro.kit.deps import DbSession
from kro.payouts import service, states
from kro.payouts.approvals import count_waiting, decide_with_totp, payout_file
from kro.payouts.schemas import DecisionIn
from kro.web import navigation
from kro.web.dependencies import PageAdmin
from kro.web.forms import FORM, Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["admin payout pages"])
navigation.add("admin", "Payouts", "/admin/payouts", order=30)
add_tile("Payouts waiting for approval", "/admin/payouts", count_waiting, order=20)

ALL = "all"
STATUS_FILTERS = [
    (states.PENDING_APPROVAL, "Waiting for approval"),
    (ALL, "Every status"),
    *[(s, s.replace("_", " ").capitalize()) for s in sorted(states.PAYOUT.states())],
]


@router.get("/admin/payouts")
async def payouts(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    status: str = Query(states.PENDING_APPROVAL, max_length=20),
    user_id: str = Query("", max_length=32),
) -> Response:
    """Payouts waiting for approval (as ``GET /v1/admin/payouts?status=pending_approval``),
    or by status, or one user's."""
    if user_id:
        rows = await service.list_payouts(session, user_id, limit=100)
    else:
        rows = await service.list_all(session, status=None if status == ALL else status, limit=100)
    ctx = {"payouts": rows, "status": status, "user_id": user_id, "filters": STATUS_FILTERS}
    return render(request, "payouts/admin/payouts.html", ctx)


async def _payout_page(
    request: Request, session: AsyncSession, payout_id: str, form: Form | None = None
) -> Response:
    file = await payout_file(session, payout_id)
    ctx = form.context() if form else {}
    return render(
        request,
        "payouts/admin/payout.html",
        {
            **ctx,
            "payout": file.payout,
            "events": file.events,
            "account": file.bank_account,
            "owner": await identity.get_user(session, file.payout.user_id),
            "waiting": file.payout.status == states.PENDING_APPROVAL,
        },
        status=form.status if form else 200,
    )


@router.get("/admin/payouts/{payout_id}")
async def payout_page(
    request: Request, payout_id: str, viewer: PageAdmin, session: DbSession
) -> Response:
    """One payout: who, how much, to which account, its history, and the decision form while
    it waits. 404 ``payout_not_found``."""
    return await _payout_page(request, session, payout_id)


@router.post("/admin/payouts/{payout_id}/decide")
async def decide(
    request: Request, payout_id: str, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """Approve (the transfer is queued) or reject (the wallet hold is released), with a fresh
    TOTP code; the button pressed says which."""
    form = await read_form(request)
    decision = form["decision"]
    if decision not in ("approve", "reject"):
        form.error(FORM, "validation_error", "Choose approve or reject.")
    body = form.parse(DecisionIn, {"totp_code": form["totp_code"], "reason": form["reason"]})
    payout = None
    if body is not None:
        async with form.saving(session):
            payout = await decide_with_totp(
                session,
                viewer,
                payout_id,
                approve=decision == "approve",
                reason=body.reason,
                totp_code=body.totp_code,
                ip=ip,
            )
    if payout is None or not form.ok:
        return await _payout_page(request, session, payout_id, form)
    message = "Approved: the transfer is on its way." if decision == "approve" else "Rejected."
    return redirect(request, f"/admin/payouts/{payout.id}", message=message)
