"""``/v1/admin/reconciliation/reports``: the daily reconciliation reports of the platform's own
provider accounts (through which the products collect; ``mode`` ``platform``). Thin handlers
over :mod:`kro.payments.reconciliation.service`; a tenant's report is not an admin's here
(404), the merchant reads it through ``/v1/reconciliation/reports``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from kro.identity.dependencies import AdminUser
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.payments.errors import ReportNotFound
from kro.payments.reconciliation import service as reconciliation
from kro.payments.reconciliation.endpoints import ReconciliationReportOut, page_out
from kro.payments.reconciliation.models import STATUSES

router = APIRouter(prefix="/v1/admin/reconciliation", tags=["admin: reconciliation"])


@router.get("/reports")
async def list_reports(
    _: AdminUser,
    session: DbSession,
    provider: Annotated[str | None, Query(max_length=16)] = None,
    day: Annotated[date | None, Query(description="UTC day, YYYY-MM-DD")] = None,
    status: Annotated[str | None, Query(pattern=f"^({'|'.join(STATUSES)})$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
) -> Envelope[list[ReconciliationReportOut]]:
    """The platform accounts' reports, newest first, by provider, UTC day and status
    (``clean | discrepancies | error``); ``meta.pagination.next_cursor`` gives the next page.
    Errors: 422 ``validation_error``."""
    page, more = await reconciliation.list_platform_reports(
        session, reconciliation.ReportFilter(provider, day, status), limit=limit, cursor=cursor
    )
    return page_out(page, more, limit)


@router.get("/reports/{report_id}", responses=error_responses(ReportNotFound))
async def get_report(
    report_id: str, _: AdminUser, session: DbSession
) -> Envelope[ReconciliationReportOut]:
    """One platform report with its findings. 404 ``reconciliation_report_not_found`` (also
    for a tenant's report)."""
    return ok(
        ReconciliationReportOut.of(await reconciliation.get_platform_report(session, report_id))
    )
