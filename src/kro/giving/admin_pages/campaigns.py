"""``/admin/giving/campaigns``: campaigns an admin may hold or feature (views: active, held,
featured). Placing a hold needs a reason the organizer reads; lifting it and (un)featuring
need none. Thin: each form calls the service the admin JSON API calls."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.giving import campaigns
from kro.giving.schemas import HoldIn
from kro.identity.dependencies import ClientIp
from kro.kit.deps import DbSession
from kro.web.dependencies import PageAdmin
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["admin giving pages"])
PAGE = "/admin/giving/campaigns"
View = Literal["active", "held", "featured"]


async def _page(
    request: Request,
    session: AsyncSession,
    view: str,
    form: Form | None = None,
    failed: str | None = None,
) -> Response:
    ctx = form.context() if form else {}
    return render(
        request,
        "giving/admin_campaigns.html",
        {
            **ctx,
            "view": view,
            "campaigns": await campaigns.admin_list(session, view),
            "failed": failed,
        },
        status=form.status if form else 200,
    )


@router.get(PAGE)
async def campaign_list(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    view: Annotated[View, Query()] = "active",
) -> Response:
    return await _page(request, session, view)


@router.post(PAGE + "/{campaign_id}/hold")
async def hold(
    campaign_id: str, request: Request, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """As ``PUT /v1/admin/giving/campaigns/{id}/hold``: ``place`` (a reason) or ``lift``."""
    form = await read_form(request)
    view = form["view"] if form["view"] in ("held", "featured") else "active"
    lifting = form["action"] == "lift"
    if not lifting and not form["reason"]:
        form.error("reason", "reason_required", "Give the reason the organizer will read.")
    body = form.parse(HoldIn, {"reason": None if lifting else form["reason"]})
    if body is not None:
        async with form.saving(session, field="reason"):
            await campaigns.set_hold(session, viewer, campaign_id, body.reason, ip)
    if not form.ok:
        return await _page(request, session, view, form, campaign_id)
    message = "Hold lifted." if lifting else "Withdrawals are on hold."
    return redirect(request, f"{PAGE}?view={view}", message=message)


@router.post(PAGE + "/{campaign_id}/featured")
async def feature(
    campaign_id: str, request: Request, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """As ``PUT /v1/admin/giving/campaigns/{id}/featured``."""
    form = await read_form(request)
    view = form["view"] if form["view"] in ("held", "featured") else "active"
    featured = form["featured"] == "yes"
    async with form.saving(session):
        await campaigns.set_featured(session, viewer, campaign_id, featured, ip)
    if not form.ok:
        return await _page(request, session, view, form, campaign_id)
    message = "Featured on the browse page." if featured else "No longer featured."
    return redirect(request, f"{PAGE}?view={view}", message=message)
