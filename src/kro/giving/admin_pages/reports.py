"""``/admin/giving/reports``: donations per day over a date range (tips apart, Lagos days;
the last 30 days by default) and the CSV export of one campaign's donations. Thin: the same
:mod:`kro.giving.reports` functions as the admin JSON API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from kro.giving import reports
from kro.kit.clock import utcnow
from kro.kit.deps import DbSession
from kro.kit.errors import KroError
from kro.web.dependencies import PageAdmin
from kro.web.forms import Form
from kro.web.routing import page_router
from kro.web.templating import render

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
    last = end or utcnow().astimezone(reports.LAGOS).date()
    first = start or last - timedelta(days=29)
    form = Form({"start": first.isoformat(), "end": last.isoformat()})
    rows: list[reports.DayTotal] = []
    try:
        rows = await reports.per_day(session, first, last)
    except KroError as exc:
        form.fail(exc)
    return render(
        request,
        "giving/admin_reports.html",
        form.context(rows=rows, total=reports.grand_total(rows)),
        status=form.status,
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
        last = utcnow().astimezone(reports.LAGOS).date()
        rows = await reports.per_day(session, last - timedelta(days=29), last)
        ctx = form.context(rows=rows, total=reports.grand_total(rows))
        return render(request, "giving/admin_reports.html", ctx, status=form.status)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{campaign.id}-donations.csv"'},
    )
