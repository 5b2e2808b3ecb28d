"""The admin console's reconciliation of the platform's own provider accounts: the daily
reports by UTC day, provider and status, and one report's findings.

Thin: the same functions as ``GET /v1/admin/reconciliation/reports`` and ``GET
/v1/admin/reconciliation/reports/{id}`` (:mod:`kro.payments.reconciliation.admin_endpoints`).
"""

from __future__ import annotations

from datetime import date

from fastapi import Query, Request
from fastapi.responses import Response

from kro.kit.deps import DbSession
from kro.payments.reconciliation import service as reconciliation
from kro.payments.reconciliation.models import STATUSES
from kro.web import navigation
from kro.web.dependencies import PageAdmin
from kro.web.routing import page_router
from kro.web.templating import render

router = page_router(tags=["admin reconciliation pages"])
navigation.add("admin", "Reconciliation", "/admin/reconciliation", order=55)

PAGE = 50
STATUS_CHOICES = [("", "Any"), *[(s, s.capitalize()) for s in STATUSES]]


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/admin/reconciliation")
async def reports(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    day: str = Query("", max_length=10),
    provider: str = Query("", max_length=16),
    status: str = Query("", max_length=16),
    cursor: str = Query("", max_length=32),
) -> Response:
    """The platform accounts' reports, newest first (an unreadable day or status is
    ignored, as an empty one)."""
    filters = reconciliation.ReportFilter(
        provider.strip() or None, _day(day), status if status in STATUSES else None
    )
    rows, more = await reconciliation.list_platform_reports(
        session, filters, limit=PAGE, cursor=cursor or None
    )
    values = {"day": day, "provider": provider, "status": status}
    older = None
    if more:
        query = "&".join(f"{k}={v}" for k, v in values.items() if v)
        older = f"/admin/reconciliation?{query}&cursor={rows[-1].id}"
    ctx = {"reports": rows, "values": values, "statuses": STATUS_CHOICES, "older": older}
    return render(request, "payments/reconciliation/admin/reports.html", ctx)


@router.get("/admin/reconciliation/{report_id}")
async def report(
    request: Request, report_id: str, viewer: PageAdmin, session: DbSession
) -> Response:
    """One report: its counts and every finding. 404 ``reconciliation_report_not_found``."""
    found = await reconciliation.get_platform_report(session, report_id)
    return render(request, "payments/reconciliation/admin/report.html", {"report": found})
