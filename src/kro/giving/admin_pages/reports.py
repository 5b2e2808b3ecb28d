"""``/admin/giving/reports``: donations per day over a date range (tips apart, Lagos days;
the last 30 days by default) and the CSV export of one campaign's donations. Thin: the same
:mod:`kro.giving.reports` functions as the admin JSON API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from kro.giving import reports
from kro.kit.deps import DbSession
from kro.kit.errors import KroError
from kro.web.dependencies import PageAdmin
from kro.web.forms import Form
from kro.web.reports import per_day_page
from kro.web.routing import page_router

router = page_router(tags=["admin giving pages"])
PAGE = "/admin/giving/reports"


@router.get(PAGE)
async def per_day(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    start: Annotated[date | None, Query()] = None,
    end: Annotated[date | None, Query()] = None,
) -> Response:
    """The table for ``start``..``end`` (a bad range: the error beside ``end``)."""
    return await _page(request, session, start, end)


async def _page(
    request: Request,
    session: DbSession,
    start: date | None = None,
    end: date | None = None,
    form: Form | None = None,
) -> Response:
    return await per_day_page(
        request,
        "giving/admin_reports.html",
        start,
        end,
        lambda first, last: reports.per_day(session, first, last),
        reports.grand_total,
        form,
    )


@router.get(PAGE + "/export")
async def export(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    campaign_id: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """One campaign's donations as CSV (as ``GET /v1/admin/giving/campaigns/{id}/donations.csv``);
    an unknown campaign: the reports page with the error beside the field."""
    form = Form({"campaign_id": campaign_id})
    try:
        campaign, text = await reports.donations_csv(session, campaign_id.strip())
    except KroError as exc:
        form.fail(exc, "campaign_id")
        return await _page(request, session, form=form)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{campaign.id}-donations.csv"'},
    )
