"""The merchant API's reconciliation reports (seed 003 §2.5): what the providers' records say
against our payments and ledger, per provider and UTC day. Authenticated by a secret API key
and scoped to its tenant and mode: another tenant's report, or the other mode's, is 404. Thin
handlers over :mod:`kro.payments.reconciliation.service`.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from kro.idempotency.routing import IdempotentRoute
from kro.identity.dependencies import ApiKeyIdempotency, AppSettings, CurrentTenant
from kro.kit.api import Envelope, Pagination, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.payments.errors import FutureDay, ReportNotFound, UnknownProviderConfig
from kro.payments.reconciliation import service as reconciliation
from kro.payments.reconciliation.models import STATUSES, ReconciliationReport

router = APIRouter(tags=["merchant API: reconciliation"], route_class=IdempotentRoute)


class ReconciliationCounts(BaseModel):
    ours: int = Field(description="our payments of the day")
    theirs: int = Field(description="the provider's charges of the day (this config's or nobody's)")
    matched: int = Field(description="found on both sides")
    settled: int = Field(description="open payments settled from the provider's answer")
    discrepancies: int = Field(description="findings other than settled")


class ReconciliationFinding(BaseModel):
    kind: str = Field(
        description="settled | missing_at_provider | missing_here | amount_mismatch | "
        "status_mismatch | ledger_mismatch | unverified"
    )
    payment_id: str | None
    reference: str = Field(description="the reference sent to the provider")
    ours: dict[str, Any] | None = Field(description="status, amounts (minor units), currency")
    theirs: dict[str, Any] | None = Field(description="the provider's view, minor units")
    note: str


class ReconciliationReportOut(BaseModel):
    id: str
    object: Literal["reconciliation_report"] = "reconciliation_report"
    mode: str
    provider: str
    day: date = Field(description="UTC day reconciled: [day 00:00, day+1 00:00)")
    status: str = Field(description="clean | discrepancies | error")
    counts: ReconciliationCounts
    findings: list[ReconciliationFinding]
    error: str | None
    actor: str = Field(description="who ran it: schedule, cli, api_key:…")
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, r: ReconciliationReport) -> ReconciliationReportOut:
        return cls(
            id=r.id,
            mode=r.mode,
            provider=r.provider,
            day=r.day,
            status=r.status,
            counts=ReconciliationCounts(
                ours=r.ours,
                theirs=r.theirs,
                matched=r.matched,
                settled=r.settled,
                discrepancies=r.discrepancies,
            ),
            findings=[ReconciliationFinding.model_validate(f) for f in r.findings or []],
            error=r.error,
            actor=r.actor,
            started_at=r.started_at,
            finished_at=r.finished_at,
        )


def page_out(
    page: list[ReconciliationReport], more: bool, limit: int
) -> Envelope[list[ReconciliationReportOut]]:
    """A page of reports with its cursor (the last id when there are more)."""
    return ok(
        [ReconciliationReportOut.of(r) for r in page],
        pagination=Pagination(
            limit=limit, has_more=more, next_cursor=page[-1].id if more else None
        ),
    )


class ReconcileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str = Field(description="paystack | flutterwave | stripe", max_length=16)
    date: dt.date = Field(description="the UTC day to reconcile, not in the future")


@router.post(
    "/v1/reconciliation/reports",
    responses=error_responses(FutureDay, UnknownProviderConfig),
    status_code=status.HTTP_201_CREATED,
    dependencies=[ApiKeyIdempotency],
)
async def run_report(
    body: ReconcileIn,
    ctx: CurrentTenant,
    request: Request,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[ReconciliationReportOut]:
    """Reconcile the key's tenant's ``provider`` configuration (in the key's mode) over the UTC
    day ``date`` now, and return the report: open payments are settled from the provider's
    answer (``settled`` findings); the other findings are for an operator. A provider that
    cannot be reached gives a report with ``status: error`` (still 201).

    Errors: 422 ``provider_not_configured`` (no such configuration in this mode),
    ``invalid_date`` (a future day), ``validation_error``; 409 ``idempotency_key_in_use``;
    422 ``idempotency_key_reused``.
    """
    report = await reconciliation.run_report(
        session,
        request.app.state.sessions,
        settings,
        tenant_id=ctx.tenant_id,
        mode=ctx.mode,
        provider=body.provider,
        day=body.date,
        actor=f"api_key:{ctx.key.id}",
    )
    return ok(ReconciliationReportOut.of(report))


@router.get("/v1/reconciliation/reports")
async def list_reports(
    ctx: CurrentTenant,
    session: DbSession,
    provider: str | None = Query(None, max_length=16),
    day: date | None = Query(None, description="UTC day, YYYY-MM-DD"),
    status_: str | None = Query(None, alias="status", pattern=f"^({'|'.join(STATUSES)})$"),
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, max_length=32),
) -> Envelope[list[ReconciliationReportOut]]:
    """The key's tenant's reports in its mode, newest first (a day run twice has two
    reports); pass ``meta.pagination.next_cursor`` as ``cursor`` for the next page.
    Errors: 422 ``validation_error``."""
    filters = reconciliation.ReportFilter(provider, day, status_)
    page, more = await reconciliation.list_reports(
        session, ctx.tenant_id, ctx.mode, filters, limit=limit, cursor=cursor
    )
    return page_out(page, more, limit)


@router.get("/v1/reconciliation/reports/{report_id}", responses=error_responses(ReportNotFound))
async def get_report(
    report_id: str, ctx: CurrentTenant, session: DbSession
) -> Envelope[ReconciliationReportOut]:
    """One report. 404 ``reconciliation_report_not_found`` for another tenant's or mode's."""
    report = await reconciliation.get_report(session, ctx.tenant_id, ctx.mode, report_id)
    return ok(ReconciliationReportOut.of(report))
