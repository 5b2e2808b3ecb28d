"""The pages of ``kro.pensions``: the employer portal (team, employees with the import wizard
and its row errors, schedules — prepare, submit, approve with a code, pay on Remita — per-PFA
files, GLI, compliance and the certificate) and the public verification page. Thin: each
handler calls the service function the JSON endpoint calls and shows its errors in place.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import File, Query, Request, UploadFile
from fastapi.responses import Response

from kro.identity import totp
from kro.identity.dependencies import AppSettings
from kro.kit.clock import utcnow
from kro.kit.deps import DbSession, FileStorage
from kro.kit.errors import KroError
from kro.kit.money import to_major
from kro.pensions import compliance, employees, employers, exports, schedules
from kro.pensions.employees import PAY_FIELDS
from kro.pensions.employers import Actor
from kro.pensions.errors import ImportInvalid, ScheduleNotFound
from kro.pensions.models import PensionEmployee
from kro.pensions.operators import INSURERS, PFAS
from kro.pensions.rules import Pay
from kro.pensions.schemas import (
    EmployeePatch,
    EmployerIn,
    GliIn,
    MemberIn,
    PayChangeIn,
    ScheduleIn,
)
from kro.pensions.states import SCHEDULE
from kro.web import navigation
from kro.web.dependencies import PageUser
from kro.web.forms import FORM, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["pensions pages"])
navigation.add("app", "Pensions", "/pensions", order=40)
P = "/pensions/{employer_id}"


def _actor(request: Request, user: Any) -> Actor:
    return Actor(user, request.client.host if request.client else None)


async def _base(
    session: DbSession, settings: AppSettings, viewer: Any, employer_id: str
) -> dict[str, Any]:
    """What every employer page shows: the employer, the viewer's role, coverage."""
    found = await employers.access(session, viewer, employer_id)
    count = await employers.headcount(session, employer_id, utcnow().date())
    return {
        "employer": found.employer,
        "member": found.member,
        "headcount": count,
        "covered": employers.covered(settings, count),
        "threshold": settings.pensions_coverage_threshold,
    }


@router.get("/pensions")
async def home(request: Request, viewer: PageUser, session: DbSession) -> Response:
    found = await employers.list_for(session, viewer)
    return render(request, "pensions/home.html", {"employers": found})


@router.get("/pensions/new")
async def new_employer(request: Request, viewer: PageUser) -> Response:
    return render(request, "pensions/new.html", {})


@router.post("/pensions/new")
async def register_employer(request: Request, viewer: PageUser, session: DbSession) -> Response:
    form = await read_form(request)
    body = form.parse(EmployerIn)
    if body is not None:
        async with form.saving(session):
            found = await employers.register(session, _actor(request, viewer), body.model_dump())
    if not form.ok:
        return render(request, "pensions/new.html", form.context(), status=form.status)
    return redirect(request, f"/pensions/{found.employer.id}", message="Employer registered.")


@router.get(P)
async def dashboard(
    request: Request, employer_id: str, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    ctx = await _base(session, settings, viewer, employer_id)
    team = await employers.members(session, viewer, employer_id)
    enrolled = await totp.enrolled(session, viewer, purpose=totp.USER)
    return render(request, "pensions/dashboard.html", {**ctx, "team": team, "enrolled": enrolled})


@router.post(P + "/members")
async def add_member(
    request: Request, employer_id: str, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    form = await read_form(request)
    body = form.parse(MemberIn)
    if body is not None:
        async with form.saving(session, field="email"):
            await employers.add_member(
                session, _actor(request, viewer), employer_id, body.email, body.role
            )
    if not form.ok:
        ctx = await _base(session, settings, viewer, employer_id)
        team = await employers.members(session, viewer, employer_id)
        enrolled = await totp.enrolled(session, viewer, purpose=totp.USER)
        return render(
            request,
            "pensions/dashboard.html",
            form.context(**ctx, team=team, enrolled=enrolled),
            status=form.status,
        )
    return redirect(request, f"/pensions/{employer_id}", message="Team member added.")


@router.get("/pensions-security")
async def security(request: Request, viewer: PageUser, session: DbSession) -> Response:
    enrolled = await totp.enrolled(session, viewer, purpose=totp.USER)
    return render(request, "pensions/security.html", {"enrolled": enrolled, "enrolment": None})


@router.post("/pensions-security/enrol")
async def enrol(request: Request, viewer: PageUser, session: DbSession) -> Response:
    """Start authenticator set-up: the secret and QR code are shown once."""
    enrolment = await totp.enrol(session, viewer, purpose=totp.USER, issuer=totp.USER_ISSUER)
    return render(request, "pensions/security.html", {"enrolled": False, "enrolment": enrolment})


@router.post("/pensions-security/confirm")
async def confirm(request: Request, viewer: PageUser, session: DbSession) -> Response:
    form = await read_form(request)
    async with form.saving(session, field="code"):
        await totp.confirm(session, viewer, form["code"], purpose=totp.USER)
    if not form.ok:
        return render(
            request,
            "pensions/security.html",
            form.context(enrolled=False, enrolment=None),
            status=form.status,
        )
    return redirect(request, "/pensions", message="Authenticator set up.")


# Employees ------------------------------------------------------------------------------------


async def _employees_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    viewer: Any,
    employer_id: str,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    ctx = await _base(session, settings, viewer, employer_id)
    rows = await employees.list_all(session, viewer, employer_id)
    context = {
        "employees": rows,
        "row_errors": [],
        "warnings": [],
        "result": None,
        "year": utcnow().year,
    }
    return render(
        request, "pensions/employees.html", {**ctx, **context, **(extra or {})}, status=status
    )


@router.get(P + "/employees")
async def employees_page(
    request: Request, employer_id: str, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    return await _employees_page(request, session, settings, viewer, employer_id)


@router.post(P + "/employees/import")
async def import_employees(
    request: Request,
    employer_id: str,
    viewer: PageUser,
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
                    session, _actor(request, viewer), employer_id, file.filename or "x.csv", content
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
        return await _employees_page(request, session, settings, viewer, employer_id, extra, 422)
    message = (
        f"Imported: {result.created} new, {result.updated} updated, {result.unchanged} unchanged."
    )
    return redirect(request, f"/pensions/{employer_id}/employees", message=message)


@router.post(P + "/employees/register-check")
async def register_check(
    request: Request, employer_id: str, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    findings = await employees.check_register(
        session, settings, _actor(request, viewer), employer_id
    )
    flagged = sum(1 for f in findings if f.status != "verified")
    message = f"PenCom's register checked {len(findings)} PINs; {flagged} flagged."
    return redirect(request, f"/pensions/{employer_id}/employees", message=message)


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
    viewer: Any,
    employer_id: str,
    employee_id: str,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """One employee: their details (exit date included), pay in force and pay history. The
    details form is ``values``/``errors``, the pay change form ``pay_values``/``pay_errors``."""
    ctx = await _base(session, settings, viewer, employer_id)
    employee = await employees.get(session, viewer, employer_id, employee_id)
    history = await employees.pay_history(session, employee.id)
    today = utcnow().date()
    current = employees.pay_on(history, max(today, employee.hire_date))
    context = {
        **ctx,
        "e": employee,
        "history": history,
        "current": current,
        "year": today.year,
        "pfas": [("", "—")] + [(code, f"{code} — {name}") for code, (name, _) in PFAS.items()],
        "url": f"/pensions/{employer_id}/employees/{employee_id}",
        "values": _details_text(employee),
        "errors": {},
        "form_error": None,
        "pay_values": _pay_text(current, today),
        "pay_errors": {},
        "pay_error": None,
    }
    return render(request, "pensions/employee.html", {**context, **(extra or {})}, status=status)


@router.get(P + "/employees/{employee_id}")
async def employee_page(
    request: Request,
    employer_id: str,
    employee_id: str,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    return await _employee_page(request, session, settings, viewer, employer_id, employee_id)


@router.post(P + "/employees/{employee_id}")
async def edit_employee(
    request: Request,
    employer_id: str,
    employee_id: str,
    viewer: PageUser,
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
            await employees.update(
                session, _actor(request, viewer), employer_id, employee_id, body.model_dump()
            )
    if not form.ok:
        return await _employee_page(
            request,
            session,
            settings,
            viewer,
            employer_id,
            employee_id,
            form.context(),
            form.status,
        )
    url = f"/pensions/{employer_id}/employees/{employee_id}"
    return redirect(request, url, message="Employee updated.")


@router.post(P + "/employees/{employee_id}/pay")
async def change_pay(
    request: Request,
    employer_id: str,
    employee_id: str,
    viewer: PageUser,
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
                _actor(request, viewer),
                employer_id,
                employee_id,
                body.effective_from,
                body.model_dump(exclude={"effective_from"}),
            )
    if not form.ok:
        extra = {
            "pay_values": form.values,
            "pay_errors": form.context()["errors"],
            "pay_error": form.context()["form_error"],
        }
        return await _employee_page(
            request, session, settings, viewer, employer_id, employee_id, extra, form.status
        )
    url = f"/pensions/{employer_id}/employees/{employee_id}"
    return redirect(request, url, message=f"Pay change recorded from {month}.")


@router.get(P + "/employees/{employee_id}/statement.pdf")
async def statement(
    employer_id: str,
    employee_id: str,
    viewer: PageUser,
    session: DbSession,
    year: int = Query(ge=2000, le=2100),
) -> Response:
    pdf = await compliance.statement_pdf(session, viewer, employer_id, employee_id, year)
    return Response(pdf, media_type="application/pdf")


# Schedules ------------------------------------------------------------------------------------


@router.get(P + "/schedules")
async def schedules_page(
    request: Request, employer_id: str, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    ctx = await _base(session, settings, viewer, employer_id)
    rows = await schedules.list_for(session, _actor(request, viewer), employer_id)
    period = utcnow().date().strftime("%Y-%m")
    return render(
        request, "pensions/schedules.html", {**ctx, "schedules": rows, "values": {"period": period}}
    )


@router.post(P + "/schedules")
async def prepare(
    request: Request, employer_id: str, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    form = await read_form(request)
    body = form.parse(
        ScheduleIn,
        {"period": form["period"], "employer_bears_all": form["employer_bears_all"] == "on"},
    )
    if body is not None:
        async with form.saving(session, field="period"):
            view = await schedules.prepare(
                session,
                settings,
                _actor(request, viewer),
                employer_id,
                body.period,
                employer_bears_all=body.employer_bears_all,
            )
    if not form.ok:
        ctx = await _base(session, settings, viewer, employer_id)
        rows = await schedules.list_for(session, _actor(request, viewer), employer_id)
        return render(
            request,
            "pensions/schedules.html",
            form.context(**ctx, schedules=rows),
            status=form.status,
        )
    url = f"/pensions/{employer_id}/schedules/{view.schedule.id}"
    return redirect(request, url, message="Schedule prepared.")


async def _schedule_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    viewer: Any,
    employer_id: str,
    schedule_id: str,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    ctx = await _base(session, settings, viewer, employer_id)
    view = await schedules.get(session, settings, _actor(request, viewer), employer_id, schedule_id)
    groups = [
        {"pfa": pfa, "lines": len(items), "total": sum(x.total for x in items)}
        for pfa, items in exports.by_pfa(view.lines).items()
    ]
    context = {
        **ctx,
        "view": view,
        "s": view.schedule,
        "allowed": SCHEDULE.allowed(view.schedule.status),
        "groups": groups,
        "url": f"/pensions/{employer_id}/schedules/{schedule_id}",
    }
    return render(request, "pensions/schedule.html", {**context, **(extra or {})}, status=status)


@router.get(P + "/schedules/{schedule_id}")
async def schedule_page(
    request: Request,
    employer_id: str,
    schedule_id: str,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    return await _schedule_page(request, session, settings, viewer, employer_id, schedule_id)


@router.post(P + "/schedules/{schedule_id}/{action}")
async def act(
    request: Request,
    employer_id: str,
    schedule_id: str,
    action: str,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """submit | approve (``totp_code``) | reject | discard | adjust | pay (to Remita's page)."""
    form = await read_form(request)
    actor = _actor(request, viewer)
    url = f"/pensions/{employer_id}/schedules/{schedule_id}"
    target = url
    async with form.saving(session, field="totp_code" if action == "approve" else FORM):
        if action == "submit":
            await schedules.submit(session, settings, actor, employer_id, schedule_id)
        elif action == "approve":
            await schedules.approve(
                session, settings, actor, employer_id, schedule_id, form["totp_code"]
            )
        elif action == "reject":
            await schedules.reject(
                session, settings, actor, employer_id, schedule_id, form["reason"] or "rejected"
            )
        elif action == "discard":
            await schedules.discard(session, settings, actor, employer_id, schedule_id)
        elif action == "adjust":
            made = await schedules.adjust(session, settings, actor, employer_id, schedule_id)
            target = f"/pensions/{employer_id}/schedules/{made.schedule.id}"
        elif action == "pay":
            callback = f"{settings.base_url}{url}/return"
            _, payment = await schedules.pay(
                session, settings, actor, employer_id, schedule_id, callback
            )
            target = payment.authorization_url or url
        else:
            raise ScheduleNotFound()
    if not form.ok:
        return await _schedule_page(
            request,
            session,
            settings,
            viewer,
            employer_id,
            schedule_id,
            form.context(),
            form.status,
        )
    return redirect(
        request, target, message=None if action == "pay" else f"Schedule: {action} done."
    )


@router.get(P + "/schedules/{schedule_id}/return")
async def back_from_remita(
    request: Request, employer_id: str, schedule_id: str, viewer: PageUser, session: DbSession
) -> Response:
    """Back from Remita's page: the payment is checked with Remita now (never from the URL)."""
    await schedules.check_payment(session, _actor(request, viewer), employer_id, schedule_id)
    url = f"/pensions/{employer_id}/schedules/{schedule_id}"
    return redirect(request, url, message="Remita is being asked about your payment.")


@router.get(P + "/schedules/{schedule_id}/exports/{name}")
async def download(
    request: Request,
    employer_id: str,
    schedule_id: str,
    name: str,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """``<PFA>.csv``, ``<PFA>.xlsx`` or ``summary.pdf``."""
    found, schedule = await schedules.load(
        session, _actor(request, viewer), employer_id, schedule_id
    )
    view = await schedules.view(session, settings, schedule)
    pfa, _, fmt = name.rpartition(".")
    headers = {"Content-Disposition": f'attachment; filename="{schedule.period}-{name}"'}
    if name == "summary.pdf":
        pdf = exports.summary_pdf(found.employer, schedule, view.lines)
        return Response(pdf, media_type="application/pdf", headers=headers)
    lines = exports.by_pfa(view.lines).get(pfa)
    if lines is None or fmt not in ("csv", "xlsx"):
        raise ScheduleNotFound("No such export of this schedule.")
    if fmt == "csv":
        content = exports.pfa_csv(found.employer, schedule, pfa, lines)
        return Response(content, media_type="text/csv", headers=headers)
    content = exports.pfa_xlsx(found.employer, schedule, pfa, lines)
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(content, media_type=media, headers=headers)


# Compliance -----------------------------------------------------------------------------------


async def _compliance_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    viewer: Any,
    employer_id: str,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    ctx = await _base(session, settings, viewer, employer_id)
    _, items = await compliance.readiness(session, settings, viewer, employer_id)
    policy, cover = await compliance.covers(session, settings, employer_id, utcnow().date())
    context = {
        **ctx,
        "items": items,
        "ready": all(i.ok for i in items),
        "policies": await compliance.policies(session, viewer, employer_id),
        "policy": policy,
        "cover": cover,
        "certificates": await compliance.certificates(session, viewer, employer_id),
        "insurers": [(i, i) for i in INSURERS],
        "verify_url": lambda c: compliance.verify_url(settings, c),
    }
    return render(request, "pensions/compliance.html", {**context, **(extra or {})}, status=status)


@router.get(P + "/compliance")
async def compliance_page(
    request: Request, employer_id: str, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    return await _compliance_page(request, session, settings, viewer, employer_id)


@router.post(P + "/gli")
async def add_policy(
    request: Request, employer_id: str, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    form = await read_form(request)
    premium = form.amount("premium")
    body = form.parse(
        GliIn,
        {**form.values, "premium": premium, "premium_paid_on": form["premium_paid_on"] or None},
    )
    if body is not None:
        async with form.saving(session):
            await compliance.add_policy(
                session, _actor(request, viewer), employer_id, body.model_dump()
            )
    if not form.ok:
        return await _compliance_page(
            request, session, settings, viewer, employer_id, form.context(), form.status
        )
    return redirect(request, f"/pensions/{employer_id}/compliance", message="GLI policy recorded.")


@router.post(P + "/gli/{policy_id}/certificate")
async def upload_gli_certificate(
    request: Request,
    employer_id: str,
    policy_id: str,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
    storage: FileStorage,
    file: Annotated[UploadFile, File()],
) -> Response:
    data = await file.read(compliance.MAX_CERTIFICATE + 1)
    try:
        async with session.begin_nested():
            await compliance.upload_certificate(
                session,
                storage,
                _actor(request, viewer),
                employer_id,
                policy_id,
                data,
                file.content_type or "",
            )
    except KroError as exc:
        return await _compliance_page(
            request, session, settings, viewer, employer_id, {"form_error": exc}, exc.http_status
        )
    url = f"/pensions/{employer_id}/compliance"
    return redirect(request, url, message="GLI certificate uploaded.")


@router.post(P + "/certificates")
async def issue(
    request: Request, employer_id: str, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    try:
        async with session.begin_nested():
            await compliance.issue_certificate(
                session, settings, _actor(request, viewer), employer_id
            )
    except KroError as exc:
        return await _compliance_page(
            request, session, settings, viewer, employer_id, {"form_error": exc}, exc.http_status
        )
    return redirect(request, f"/pensions/{employer_id}/compliance", message="Certificate issued.")


@router.get(P + "/certificates/{certificate_id}.pdf")
async def certificate_pdf(
    employer_id: str,
    certificate_id: str,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    _, pdf = await compliance.certificate_pdf(
        session, settings, viewer, employer_id, certificate_id
    )
    return Response(pdf, media_type="application/pdf")


@router.get("/pensions/verify/{token}")
async def verify(request: Request, token: str, session: DbSession) -> Response:
    """Public: genuine and still valid? Nothing else about the employer."""
    found = await compliance.verify(session, token)
    return render(request, "pensions/verify.html", {"v": found})
