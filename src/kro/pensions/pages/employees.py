"""The portal's employees: the list with the import wizard (every row error shown, nothing
half-imported), the check with PenCom's register, one employee's page (details with an exit
date for a leaver, pay history, a pay change from a month) and their yearly statement."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import File, Query, Request, UploadFile
from fastapi.responses import Response

from kro.identity.dependencies import AppSettings
from kro.kit.clock import utcnow
from kro.kit.deps import DbSession
from kro.kit.money import to_major
from kro.pensions import compliance, employees, importer
from kro.pensions.dependencies import (
    MAINTAIN,
    PageComplianceOfficer,
    PageHrOfficer,
    PageMember,
)
from kro.pensions.employees import PAY_FIELDS
from kro.pensions.employers import Access
from kro.pensions.errors import ImportInvalid
from kro.pensions.models import PensionEmployee
from kro.pensions.operators import PFAS
from kro.pensions.pages.common import P, base
from kro.pensions.rules import Pay
from kro.pensions.schemas import EmployeePatch, PayChangeIn
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router()
PFA_OPTIONS = [("", "—")] + [(code, f"{code} — {name}") for code, (name, _) in PFAS.items()]


async def _employees_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    found: Access,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    context = {
        **await base(session, settings, found),
        "employees": await employees.list_all(session, found),
        "row_errors": [],
        "warnings": [],
        "result": None,
        "year": utcnow().year,
        "columns": importer.COLUMNS,
    }
    return render(request, "pensions/employees.html", {**context, **(extra or {})}, status=status)


@router.get(P + "/employees")
async def employees_page(
    request: Request, found: PageMember, session: DbSession, settings: AppSettings
) -> Response:
    return await _employees_page(request, session, settings, found)


@router.get(P + "/employees/template.csv")
async def import_template(found: PageMember) -> Response:
    """The import template to fill in: a CSV download of the columns and one example row."""
    return Response(
        importer.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="employees-template.csv"'},
    )


@router.post(P + "/employees/import")
async def import_employees(
    request: Request,
    found: PageHrOfficer,
    session: DbSession,
    settings: AppSettings,
    file: Annotated[UploadFile, File()],
) -> Response:
    """The import wizard: every row error (row, column, reason) shown; nothing half-imported."""
    content = await file.read(10 * 1024 * 1024 + 1)
    try:
        async with session.begin_nested() as savepoint:
            try:
                result = await employees.import_file(
                    session, found, file.filename or "x.csv", content
                )
            except ImportInvalid:
                await savepoint.rollback()
                raise
    except ImportInvalid as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        extra = {
            "row_errors": details.get("errors", []),
            "warnings": details.get("warnings", []),
            "form_error": exc,
        }
        return await _employees_page(request, session, settings, found, extra, 422)
    message = (
        f"Imported: {result.created} new, {result.updated} updated, {result.unchanged} unchanged."
    )
    return redirect(request, f"/pensions/{found.employer.id}/employees", message=message)


@router.post(P + "/employees/register-check")
async def register_check(
    request: Request, found: PageComplianceOfficer, session: DbSession, settings: AppSettings
) -> Response:
    findings = await employees.check_register(session, settings, found)
    flagged = sum(1 for f in findings if f.status != "verified")
    message = f"PenCom's register checked {len(findings)} PINs; {flagged} flagged."
    return redirect(request, f"/pensions/{found.employer.id}/employees", message=message)


def _details_text(employee: PensionEmployee) -> dict[str, str]:
    """The details form filled in with the employee as stored (dates ``YYYY-MM-DD``)."""
    out = {}
    for name in EmployeePatch.model_fields:
        value = getattr(employee, name)
        out[name] = "" if value is None else str(value)
    return out


def _pay_text(pay: Pay | None, today: date) -> dict[str, str]:
    """The pay change form filled in with the pay in force (naira) from this month."""
    out = {"effective_from": today.strftime("%Y-%m")}
    for name in PAY_FIELDS:
        out[name] = str(to_major(getattr(pay, name), "NGN")) if pay else ""
    return out


async def _employee_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    found: Access,
    employee_id: str,
    details: Form | None = None,
    pay: Form | None = None,
) -> Response:
    """One employee: their details (exit date included), pay in force and pay history. The
    details form is ``values``/``errors``, the pay change form ``pay_values``/``pay_errors``;
    a failed form is shown again as sent, with its errors."""
    employee = await employees.get(session, found, employee_id)
    history = await employees.pay_history(session, employee.id)
    today = utcnow().date()
    current = employees.pay_on(history, max(today, employee.hire_date))
    context = {
        **await base(session, settings, found),
        "e": employee,
        "history": history,
        "current": current,
        "year": today.year,
        "pfas": PFA_OPTIONS,
        "url": f"/pensions/{found.employer.id}/employees/{employee_id}",
        "can_edit": found.can(*MAINTAIN),
        "values": _details_text(employee),
        "errors": {},
        "form_error": None,
        "pay_values": _pay_text(current, today),
        "pay_errors": {},
        "pay_error": None,
    }
    if details is not None:
        context.update(details.context())
    if pay is not None:
        sent = pay.context()
        context.update(
            pay_values=sent["values"], pay_errors=sent["errors"], pay_error=sent["form_error"]
        )
    failed = details or pay
    status = failed.status if failed else 200
    return render(request, "pensions/employee.html", context, status=status)


@router.get(P + "/employees/{employee_id}")
async def employee_page(
    request: Request,
    found: PageMember,
    employee_id: str,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    return await _employee_page(request, session, settings, found, employee_id)


@router.post(P + "/employees/{employee_id}")
async def edit_employee(
    request: Request,
    found: PageHrOfficer,
    employee_id: str,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """Change an employee's details; an exit date makes them a leaver from that day."""
    form = await read_form(request)
    names = {"surname": form["surname"], "first_name": form["first_name"]}
    optional = {k: form[k] or None for k in EmployeePatch.model_fields if k not in names}
    body = form.parse(EmployeePatch, {**names, **optional})
    if body is not None:
        async with form.saving(session):
            await employees.update(session, found, employee_id, body.model_dump())
    if not form.ok:
        return await _employee_page(request, session, settings, found, employee_id, details=form)
    url = f"/pensions/{found.employer.id}/employees/{employee_id}"
    return redirect(request, url, message="Employee updated.")


@router.post(P + "/employees/{employee_id}/pay")
async def change_pay(
    request: Request,
    found: PageHrOfficer,
    employee_id: str,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """Record a pay change from a month (``YYYY-MM``; amounts in naira): months before it keep
    the pay they had."""
    form = await read_form(request)
    amounts = {k: form.amount(k) if form[k] or k == "basic" else 0 for k in PAY_FIELDS}
    month = form["effective_from"]
    start = f"{month}-01" if re.fullmatch(r"\d{4}-\d{2}", month) else month
    body = form.parse(PayChangeIn, {**amounts, "effective_from": start})
    if body is not None:
        async with form.saving(session):
            await employees.set_pay(
                session,
                found,
                employee_id,
                body.effective_from,
                body.model_dump(exclude={"effective_from"}),
            )
    if not form.ok:
        return await _employee_page(request, session, settings, found, employee_id, pay=form)
    url = f"/pensions/{found.employer.id}/employees/{employee_id}"
    return redirect(request, url, message=f"Pay change recorded from {month}.")


@router.get(P + "/employees/{employee_id}/statement.pdf")
async def statement(
    found: PageMember,
    employee_id: str,
    session: DbSession,
    year: int = Query(ge=2000, le=2100),
) -> Response:
    pdf = await compliance.statement_pdf(session, found, employee_id, year)
    return Response(pdf, media_type="application/pdf")
