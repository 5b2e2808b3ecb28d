"""The dashboard's money pages, under ``/dashboard/{tenant_id}/{mode}``: payments (filters,
detail with events and routing attempts), refunds (create full or partial, list), provider
health and reconciliation reports — the services behind ``/v1/payments``, ``/v1/refunds``,
``/v1/providers/health`` and ``/v1/reconciliation/reports`` (:mod:`kro.payments.merchant`,
:mod:`kro.payments.refunds`, :mod:`kro.payments.reconciliation`), scoped by the tenant and
mode as an API key's calls are: another tenant's payment, or the other mode's, is the 404
page.

Reading needs membership; refunding and running a reconciliation need the right to configure
the mode (:func:`kro.tenants.service.require_configurer`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.dependencies import AppSettings, ClientIp
from kro.kit.clock import utcnow
from kro.kit.deps import DbSession
from kro.payments import provider_configs, states
from kro.payments.merchant import service as merchant
from kro.payments.reconciliation import service as reconciliation
from kro.payments.reconciliation.models import STATUSES as REPORT_STATUSES
from kro.payments.refunds import service as refunds
from kro.payments.schemas import RefundIn
from kro.providers import registry
from kro.tenants import service
from kro.tenants.dependencies import Dashboard, DashboardPage
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["dashboard pages"])
P = "/dashboard/{tenant_id}/{mode}"
PAGE = 20
LAGOS = ZoneInfo("Africa/Lagos")  # the dashboard's days are Lagos days, as its times
STATUSES = (
    states.PENDING,
    states.PROCESSING,
    states.REQUIRES_ACTION,
    states.REQUIRES_CAPTURE,
    states.COMPLETED,
    states.FAILED,
    states.CANCELED,
    states.PARTIALLY_REFUNDED,
    states.REFUNDED,
    states.NEEDS_REVIEW,
)
REFUNDABLE = (states.COMPLETED, states.PARTIALLY_REFUNDED)


def _day(form: Form, field: str) -> date | None:
    """The date typed in ``field`` (YYYY-MM-DD), or None; a field error otherwise."""
    if not form[field]:
        return None
    try:
        return date.fromisoformat(form[field])
    except ValueError:
        form.error(field, "invalid_date", "Enter a date as YYYY-MM-DD.")
        return None


def _lagos_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LAGOS)


# Payments ------------------------------------------------------------------------------------


@router.get(P + "/payments")
async def payments(
    request: Request,
    dash: DashboardPage,
    session: DbSession,
    status: str = Query("", max_length=100),
    provider: str = Query("", max_length=100),
    reference: str = Query("", max_length=100),
    date_from: str = Query("", max_length=100),
    date_to: str = Query("", max_length=100),
    cursor: str | None = Query(None, max_length=32),
) -> Response:
    """This mode's payments, newest first, filtered by status, provider, reference (yours)
    and Lagos dates (as ``GET /v1/payments``)."""
    form = Form(
        {
            "status": status,
            "provider": provider,
            "reference": reference,
            "date_from": date_from,
            "date_to": date_to,
        }
    )
    start, end = _day(form, "date_from"), _day(form, "date_to")
    filters = merchant.PaymentFilter(
        status=form["status"] or None,
        provider=form["provider"] or None,
        reference=form["reference"] or None,
        created_gte=_lagos_midnight(start) if start else None,
        created_lt=_lagos_midnight(end + timedelta(days=1)) if end else None,
    )
    page: list[Any] = []
    more = False
    if form.ok:
        page, more = await merchant.list_payments(
            session, dash.tenant.id, dash.mode, filters, limit=PAGE, cursor=cursor
        )
    query = {k: v for k, v in form.values.items() if v}
    next_url = (
        f"{dash.url('payments')}?{urlencode(query | {'cursor': page[-1].id})}" if more else None
    )
    ctx = form.context(
        dash=dash,
        payments=page,
        next_url=next_url,
        statuses=[("", "Any status"), *((s, s.replace("_", " ")) for s in STATUSES)],
        providers=[("", "Any provider"), *((n, n.capitalize()) for n in registry.NAMES)],
        filtered=any(form.values.values()),
    )
    return render(request, "tenants/payments.html", ctx, status=form.status)


async def _payment_page(
    request: Request,
    session: AsyncSession,
    dash: Dashboard,
    payment_id: str,
    form: Form | None = None,
) -> Response:
    form = form or Form()
    payment = await merchant.get_payment(session, dash.tenant.id, dash.mode, payment_id)
    ctx = form.context(
        dash=dash,
        payment=payment,
        events=await merchant.payment_events(session, payment),
        refunds=await refunds.refunds_for(session, payment.id),
        refundable=payment.status in REFUNDABLE,
        left=payment.amount_captured - payment.amount_refunded,
    )
    return render(request, "tenants/payment.html", ctx, status=form.status)


@router.get(P + "/payments/{payment_id}")
async def payment(
    request: Request, payment_id: str, dash: DashboardPage, session: DbSession
) -> Response:
    """One payment: amounts, customer, its events (every transition: who, when, why), the
    providers routing tried, its refunds and the form to refund."""
    return await _payment_page(request, session, dash, payment_id)


@router.post(P + "/payments/{payment_id}/refunds")
async def create_refund(
    request: Request, payment_id: str, dash: DashboardPage, session: DbSession, ip: ClientIp
) -> Response:
    """Refund all (amount left empty) or part of a completed payment (as ``POST
    /v1/payments/{id}/refunds``); ``pending`` until the provider confirms."""
    form = await read_form(request)
    amount = form.amount("amount") if form["amount"] else None
    body = form.parse(RefundIn, {"amount": amount, "reason": form["reason"] or None})
    if body is not None:
        async with form.saving(session, field="amount"):
            service.require_configurer(dash.ms, dash.mode)
            await refunds.create_refund(
                session,
                tenant_id=dash.tenant.id,
                mode=dash.mode,
                payment_id=payment_id,
                amount=body.amount,
                reason=body.reason,
                actor=f"user:{dash.user.id}",
                ip=ip,
            )
    if not form.ok:
        return await _payment_page(request, session, dash, payment_id, form)
    return redirect(
        request,
        dash.url("payments", payment_id),
        message="The refund is requested: pending until the provider confirms it.",
    )


@router.get(P + "/refunds")
async def refunds_page(
    request: Request,
    dash: DashboardPage,
    session: DbSession,
    cursor: str | None = Query(None, max_length=64),
) -> Response:
    """This mode's refunds, newest first (as ``GET /v1/refunds``)."""
    page, more = await merchant.list_refunds(
        session, dash.tenant.id, dash.mode, limit=PAGE, cursor=cursor
    )
    next_url = f"{dash.url('refunds')}?cursor={page[-1].id}" if more else None
    return render(
        request, "tenants/refunds.html", {"dash": dash, "refunds": page, "next_url": next_url}
    )


# Provider health -----------------------------------------------------------------------------


@router.get(P + "/health")
async def health(
    request: Request, dash: DashboardPage, session: DbSession, settings: AppSettings
) -> Response:
    """Each provider's circuit breaker in this mode (as ``GET /v1/providers/health``), and
    whether this business routes to it."""
    configs = await provider_configs.list_configs(session, dash.tenant.id, dash.mode)
    return render(
        request,
        "tenants/health.html",
        {
            "dash": dash,
            "providers": await merchant.providers_health(settings, dash.mode),
            "configured": {c.provider: c.enabled for c in configs},
        },
    )


# Reconciliation ------------------------------------------------------------------------------


async def _reports_page(
    request: Request,
    session: AsyncSession,
    dash: Dashboard,
    form: Form,
    cursor: str | None = None,
) -> Response:
    filters = reconciliation.ReportFilter(
        provider=form["filter_provider"] or None,
        status=form["filter_status"] if form["filter_status"] in REPORT_STATUSES else None,
    )
    page, more = await reconciliation.list_reports(
        session, dash.tenant.id, dash.mode, filters, limit=PAGE, cursor=cursor
    )
    configs = await provider_configs.list_configs(session, dash.tenant.id, dash.mode)
    query = {k: form[k] for k in ("filter_provider", "filter_status") if form[k]}
    query["cursor"] = page[-1].id if page else ""
    next_url = f"{dash.url('reconciliation')}?{urlencode(query)}" if more else None
    ctx = form.context(
        dash=dash,
        reports=page,
        next_url=next_url,
        configured=[(c.provider, c.provider.capitalize()) for c in configs],
        providers=[("", "Any provider"), *((n, n.capitalize()) for n in registry.NAMES)],
        report_statuses=[("", "Any result"), *((s, s) for s in REPORT_STATUSES)],
    )
    return render(request, "tenants/reconciliation.html", ctx, status=form.status)


@router.get(P + "/reconciliation")
async def reconciliation_reports(
    request: Request,
    dash: DashboardPage,
    session: DbSession,
    filter_provider: str = Query("", max_length=16),
    filter_status: str = Query("", max_length=16),
    cursor: str | None = Query(None, max_length=32),
) -> Response:
    """This mode's reconciliation reports, newest first (as ``GET /v1/reconciliation/
    reports``), and the form to reconcile a day now."""
    form = Form(
        {
            "filter_provider": filter_provider,
            "filter_status": filter_status,
            "day": utcnow().date().isoformat(),
        }
    )
    return await _reports_page(request, session, dash, form, cursor)


@router.post(P + "/reconciliation")
async def run_reconciliation(
    request: Request,
    dash: DashboardPage,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """Reconcile one configured provider over one UTC day now (as ``POST /v1/reconciliation/
    reports``); the report opens."""
    form = await read_form(request)
    day = _day(form, "day")
    if day is None and "day" not in form.errors:
        form.error("day", "validation_error", "Choose the day to reconcile.")
    report = None
    if form.ok and day is not None:
        service.require_configurer(dash.ms, dash.mode)
        # The provider is called next: end the request's transaction first (it holds only the
        # sign-in session's touch), as the API's route has none open then — no provider call
        # while a transaction is held (DESIGN.md §5; on SQLite it would hold the write lock).
        await session.commit()
        async with form.saving(session, field="day"):
            report = await reconciliation.run_report(
                session,
                request.app.state.sessions,
                settings,
                tenant_id=dash.tenant.id,
                mode=dash.mode,
                provider=form["provider"],
                day=day,
                actor=f"user:{dash.user.id}",
            )
    if report is None or not form.ok:
        return await _reports_page(request, session, dash, form)
    return redirect(
        request, dash.url("reconciliation", report.id), message=f"Reconciled: {report.status}."
    )


@router.get(P + "/reconciliation/{report_id}")
async def reconciliation_report(
    request: Request, report_id: str, dash: DashboardPage, session: DbSession
) -> Response:
    """One report: counts, and every finding with our view and the provider's."""
    report = await reconciliation.get_report(session, dash.tenant.id, dash.mode, report_id)
    return render(request, "tenants/reconciliation_report.html", {"dash": dash, "report": report})
