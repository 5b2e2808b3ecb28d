"""The admin console's first KRO Giving page (``/admin/giving``): campaigns waiting for review
(approve, reject with a reason), withdrawals to authorize (fresh TOTP) or reject, refund
requests, open reports, flagged words of support (hide with a reason, or keep). Thin: each
form calls the function the admin JSON API calls, with its errors beside the same field of
the item whose form was sent (``failed``: its id)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.giving import campaigns, donations, messages, notices, states, withdrawals
from kro.giving.models import Campaign, Withdrawal
from kro.giving.schemas import DecisionIn, ModerationIn, ReviewIn
from kro.identity.admin_pages import add_tile
from kro.identity.dependencies import ClientIp
from kro.kit.deps import DbSession
from kro.web import navigation
from kro.web.dependencies import PageAdmin
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["admin giving pages"])
navigation.add("admin", "Giving", "/admin/giving", order=50)
HOME = "/admin/giving"


async def count_waiting(session: AsyncSession) -> int:
    """Campaigns in review plus withdrawals waiting for an admin."""
    in_review = select(func.count()).select_from(Campaign)
    in_review = in_review.where(Campaign.status == states.IN_REVIEW)
    waiting = select(func.count()).select_from(Withdrawal)
    waiting = waiting.where(Withdrawal.status.in_((states.PENDING, states.ERROR)))
    return int((await session.execute(in_review)).scalar_one()) + int(
        (await session.execute(waiting)).scalar_one()
    )


add_tile("Giving: reviews and withdrawals", HOME, count_waiting, order=30)


async def _page(
    request: Request, session: AsyncSession, form: Form | None = None, failed: str | None = None
) -> Response:
    ctx = form.context() if form else {}
    return render(
        request,
        "giving/admin.html",
        {
            **ctx,
            "review": await campaigns.review_queue(session),
            "withdrawals": await withdrawals.queue(session),
            "refunds": await donations.refund_requests(session),
            "reports": await campaigns.open_reports(session),
            "flagged": await messages.flagged(session),
            "failed": failed,
        },
        status=form.status if form else 200,
    )


@router.get(HOME)
async def admin_home(request: Request, viewer: PageAdmin, session: DbSession) -> Response:
    return await _page(request, session)


@router.post(HOME + "/campaigns/{campaign_id}/review")
async def review(
    campaign_id: str, request: Request, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """As ``POST /v1/admin/giving/campaigns/{id}/review``."""
    form = await read_form(request)
    body = form.parse(ReviewIn, {"action": form["action"], "reason": form["reason"] or None})
    if body is not None:
        async with form.saving(session, field="reason"):
            campaign = await campaigns.admin_act(
                session, viewer, campaign_id, body.action, body.reason, ip
            )
            await notices.campaign_reviewed(session, campaign, body.reason)
    if not form.ok:
        return await _page(request, session, form, campaign_id)
    action = body.action if body else "review"
    return redirect(request, HOME, message=f"Campaign: {action} done.")


@router.post(HOME + "/withdrawals/{withdrawal_id}")
async def decide(
    withdrawal_id: str, request: Request, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """As ``POST /v1/admin/giving/withdrawals/{id}/decision``: authorizing needs a code."""
    form = await read_form(request)
    body = form.parse(
        DecisionIn,
        {
            "approve": form["approve"] == "yes",
            "totp_code": form["totp_code"] or None,
            "note": form["note"] or None,
        },
    )
    if body is not None:
        async with form.saving(session, field="totp_code"):
            await withdrawals.decide(
                session,
                viewer,
                withdrawal_id,
                approve=body.approve,
                totp_code=body.totp_code,
                note=body.note,
                ip=ip,
            )
    if not form.ok:
        return await _page(request, session, form, withdrawal_id)
    done = "authorized: the payout is on its way" if body and body.approve else "rejected"
    return redirect(request, HOME, message=f"Withdrawal {done}.")


@router.post(HOME + "/donations/{donation_id}/refund")
async def refund(
    donation_id: str, request: Request, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    form = await read_form(request)
    approve = form["approve"] == "yes"
    async with form.saving(session):
        await donations.decide_refund(session, viewer, donation_id, approve, ip)
    if not form.ok:
        return await _page(request, session, form)
    return redirect(request, HOME, message="Refund sent." if approve else "Refund declined.")


@router.post(HOME + "/reports/{report_id}")
async def report(
    report_id: str, request: Request, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    form = await read_form(request)
    outcome = "actioned" if form["outcome"] == "actioned" else "dismissed"
    async with form.saving(session):
        await campaigns.resolve_report(session, viewer, report_id, outcome, ip)
    if not form.ok:
        return await _page(request, session, form)
    return redirect(request, HOME, message=f"Report {outcome}.")


@router.post(HOME + "/messages/{donation_id}")
async def moderate(
    donation_id: str, request: Request, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """As ``POST /v1/admin/giving/messages/{donation_id}``: ``hide`` (a reason) or ``keep``."""
    form = await read_form(request)
    body = form.parse(ModerationIn, {"action": form["action"], "reason": form["reason"] or None})
    if body is not None:
        async with form.saving(session, field="reason"):
            await messages.decide(session, viewer, donation_id, body.action, body.reason, ip)
    if not form.ok:
        return await _page(request, session, form, donation_id)
    done = "hidden" if body and body.action == "hide" else "kept"
    return redirect(request, HOME, message=f"Words of support {done}.")
