"""``/v1/pensions/…``: thin handlers over the pensions services (the admins'
``/v1/admin/pensions/…`` is :mod:`.admin_endpoints`, included here). Each route lists its errors
in ``responses=``; those of ``CurrentUser`` and request validation are added by
:mod:`kro.kit.openapi`. Another employer's objects are 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from kro.identity import totp
from kro.identity.dependencies import AppSettings, ClientIp, CurrentUser
from kro.identity.errors import TotpAlreadyEnrolled, TotpRequired
from kro.kit.api import Envelope, ok
from kro.kit.clock import utcnow
from kro.kit.deps import DbSession, FileStorage
from kro.kit.errors import BadRequest, InvalidTransition
from kro.kit.openapi import error_responses
from kro.payments.errors import NoProviderAvailable, PaymentRejected, ProvidersUnavailable
from kro.pensions import admin_endpoints, compliance, employees, employers, exports, schedules
from kro.pensions.dependencies import (
    ComplianceOfficer,
    EmployerMember,
    EmployerOwner,
    FinanceApprover,
    HrOfficer,
)
from kro.pensions.employers import Actor
from kro.pensions.errors import (
    CertificateNotFound,
    EmployeeNotFound,
    EmployerNotFound,
    ExitBeforeHire,
    ImportInvalid,
    InvalidPeriod,
    MakerChecker,
    MemberExists,
    NothingToSchedule,
    NotReady,
    PolicyNotFound,
    RegisterMismatch,
    RoleRequired,
    ScheduleExists,
    ScheduleNotFound,
    StaffIdTaken,
    UnknownPfa,
    UserNotFound,
)
from kro.pensions.models import PensionCertificate
from kro.pensions.schemas import (
    ApproveIn,
    CertificateOut,
    CoverOut,
    EmployeeIn,
    EmployeeOut,
    EmployeePatch,
    EmployerIn,
    EmployerOut,
    EmployerPatch,
    FindingOut,
    GliIn,
    GliOut,
    ImportOut,
    ItemOut,
    MemberIn,
    MemberOut,
    PayChangeIn,
    PaymentOut,
    PayOut,
    PayScheduleIn,
    ReadinessOut,
    RejectIn,
    RowError,
    ScheduleIn,
    ScheduleOut,
    ScheduleSummaryOut,
    TotpConfirmIn,
    TotpEnrolmentOut,
    VerificationOut,
)
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable

api = APIRouter(prefix="/v1/pensions", tags=["pensions"])
E = "/employers/{employer_id}"
SCOPE = (EmployerNotFound, RoleRequired)  # what the role dependencies answer
PROVIDER = (ProviderUnavailable, ProviderTimeout, ProviderRejected)


async def _employer_out(
    session: DbSession, settings: AppSettings, found: employers.Access
) -> EmployerOut:
    count = await employers.headcount(session, found.employer.id, utcnow().date())
    return EmployerOut.of(found, count, employers.covered(settings, count))


@api.post("/employers", status_code=status.HTTP_201_CREATED)
async def register_employer(
    body: EmployerIn, user: CurrentUser, ip: ClientIp, session: DbSession, settings: AppSettings
) -> Envelope[EmployerOut]:
    """Register an employer; you become its owner and HR officer."""
    found = await employers.register(session, Actor(user, ip), body.model_dump())
    return ok(await _employer_out(session, settings, found))


@api.get("/employers")
async def list_employers(
    user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[list[EmployerOut]]:
    """The employers whose team you are on."""
    return ok(
        [await _employer_out(session, settings, a) for a in await employers.list_for(session, user)]
    )


@api.get(E, responses=error_responses(EmployerNotFound))
async def get_employer(
    found: EmployerMember, session: DbSession, settings: AppSettings
) -> Envelope[EmployerOut]:
    """An employer with its headcount and whether the PRA 2014 covers it (3+ employees)."""
    return ok(await _employer_out(session, settings, found))


@api.patch(E, responses=error_responses(*SCOPE))
async def update_employer(
    found: EmployerOwner,
    body: EmployerPatch,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[EmployerOut]:
    """Change the employer's details (owner)."""
    found = await employers.update(session, found, body.model_dump(exclude_none=True))
    return ok(await _employer_out(session, settings, found))


@api.get(E + "/members", responses=error_responses(EmployerNotFound))
async def list_members(found: EmployerMember, session: DbSession) -> Envelope[list[MemberOut]]:
    rows = await employers.members(session, found)
    return ok(
        [
            MemberOut(user_id=u.id, email=u.email, name=u.full_name, role=m.role, owner=m.owner)
            for m, u in rows
        ]
    )


@api.post(
    E + "/members",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(*SCOPE, UserNotFound, MemberExists),
)
async def add_member(
    found: EmployerOwner, body: MemberIn, session: DbSession
) -> Envelope[MemberOut]:
    """Add a registered user to the team with a role (owner)."""
    member = await employers.add_member(session, found, body.email, body.role)
    return ok(
        MemberOut(user_id=member.user_id, email=body.email, name="", role=member.role, owner=False)
    )


@api.post(
    "/me/totp", status_code=status.HTTP_201_CREATED, responses=error_responses(TotpAlreadyEnrolled)
)
async def enrol_totp(
    user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[TotpEnrolmentOut]:
    """Set up an authenticator (finance approvers approve schedules with a fresh code)."""
    e = await totp.enrol(session, user, purpose=totp.USER, issuer=totp.USER_ISSUER)
    return ok(
        TotpEnrolmentOut(
            secret=e.secret,
            otpauth_uri=e.otpauth_uri,
            qr_svg_data_uri=e.qr_svg_data_uri,
            recovery_codes=e.recovery_codes,
        )
    )


@api.post("/me/totp/confirm", responses=error_responses(TotpRequired))
async def confirm_totp(
    body: TotpConfirmIn, user: CurrentUser, session: DbSession
) -> Envelope[dict[str, bool]]:
    await totp.confirm(session, user, body.code, purpose=totp.USER)
    return ok({"confirmed": True})


# Employees ------------------------------------------------------------------------------------


@api.get(E + "/employees", responses=error_responses(EmployerNotFound))
async def list_employees(found: EmployerMember, session: DbSession) -> Envelope[list[EmployeeOut]]:
    rows = await employees.list_all(session, found)
    return ok([EmployeeOut.model_validate(e) for e in rows])


@api.post(
    E + "/employees",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(*SCOPE, StaffIdTaken),
)
async def create_employee(
    found: HrOfficer, body: EmployeeIn, session: DbSession
) -> Envelope[EmployeeOut]:
    """Add one employee with their monthly pay (kobo) from the hire date (HR officer)."""
    fields = body.model_dump(exclude={"pay"})
    employee = await employees.create(session, found, fields, body.pay.model_dump())
    return ok(EmployeeOut.model_validate(employee))


@api.get(
    E + "/employees/{employee_id}", responses=error_responses(EmployerNotFound, EmployeeNotFound)
)
async def get_employee(
    found: EmployerMember, employee_id: str, session: DbSession
) -> Envelope[EmployeeOut]:
    return ok(EmployeeOut.model_validate(await employees.get(session, found, employee_id)))


@api.patch(
    E + "/employees/{employee_id}",
    responses=error_responses(*SCOPE, EmployeeNotFound, ExitBeforeHire, UnknownPfa),
)
async def update_employee(
    found: HrOfficer,
    employee_id: str,
    body: EmployeePatch,
    session: DbSession,
) -> Envelope[EmployeeOut]:
    """Change an employee's details (HR officer): fields left out are kept; ``exit_date``
    makes them a leaver (prorated that month). A changed PIN or PFA is checked again."""
    employee = await employees.update(
        session, found, employee_id, body.model_dump(exclude_unset=True)
    )
    return ok(EmployeeOut.model_validate(employee))


@api.get(
    E + "/employees/{employee_id}/pay",
    responses=error_responses(EmployerNotFound, EmployeeNotFound),
)
async def pay_history(
    found: EmployerMember, employee_id: str, session: DbSession
) -> Envelope[list[PayOut]]:
    """The employee's pay history (kobo a month), oldest first."""
    employee = await employees.get(session, found, employee_id)
    rows = await employees.pay_history(session, employee.id)
    return ok([PayOut.model_validate(p) for p in rows])


@api.post(E + "/employees/{employee_id}/pay", responses=error_responses(*SCOPE, EmployeeNotFound))
async def change_pay(
    found: HrOfficer,
    employee_id: str,
    body: PayChangeIn,
    session: DbSession,
) -> Envelope[PayOut]:
    """New monthly pay from ``effective_from`` (past periods keep their pay; a date before
    the hire date is the hire date): the row as stored."""
    pay = body.model_dump(exclude={"effective_from"})
    row = await employees.set_pay(session, found, employee_id, body.effective_from, pay)
    return ok(PayOut.model_validate(row))


@api.post(E + "/employees/import", responses=error_responses(*SCOPE, ImportInvalid))
async def import_employees(
    found: HrOfficer,
    session: DbSession,
    file: Annotated[UploadFile, File(description="CSV or XLSX, the columns of docs/pensions.md")],
) -> Envelope[ImportOut]:
    """Import employees (CSV or XLSX). Validated first, applied all or nothing: 422
    ``import_invalid`` with ``details.errors`` = every ``{row, column, reason}``. Re-importing
    updates by ``staff_id``."""
    content = await file.read(10 * 1024 * 1024 + 1)
    result = await employees.import_file(session, found, file.filename or "import.csv", content)
    return ok(
        ImportOut(
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            warnings=[RowError(**w) for w in result.warnings],
        )
    )


@api.post(E + "/employees/register-check", responses=error_responses(*SCOPE, *PROVIDER))
async def register_check(
    found: ComplianceOfficer, session: DbSession, settings: AppSettings
) -> Envelope[list[FindingOut]]:
    """Check every RSA PIN against PenCom's register: another PFA or another name is flagged
    (``mismatch``) and blocks submitting a schedule."""
    findings = await employees.check_register(session, settings, found)
    return ok(
        [FindingOut(employee_id=f.employee_id, status=f.status, note=f.note) for f in findings]
    )


@api.get(
    E + "/employees/{employee_id}/statement",
    responses=error_responses(EmployerNotFound, EmployeeNotFound),
)
async def employee_statement(
    found: EmployerMember,
    employee_id: str,
    session: DbSession,
    year: int = Query(ge=2000, le=2100),
) -> Response:
    """The employee's contributions for ``year`` (PDF)."""
    pdf = await compliance.statement_pdf(session, found, employee_id, year)
    return Response(pdf, media_type="application/pdf")


# Schedules ------------------------------------------------------------------------------------


@api.get(E + "/schedules", responses=error_responses(EmployerNotFound))
async def list_schedules(
    found: EmployerMember, session: DbSession
) -> Envelope[list[ScheduleSummaryOut]]:
    rows = await schedules.list_for(session, found)
    return ok([ScheduleSummaryOut.model_validate(s) for s in rows])


@api.post(
    E + "/schedules",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(*SCOPE, InvalidPeriod, ScheduleExists, NothingToSchedule),
)
async def prepare_schedule(
    found: HrOfficer,
    body: ScheduleIn,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[ScheduleOut]:
    """Prepare the month's schedule (HR officer): every employee active in the period with
    that period's pay, prorated for joiners and leavers, half-up per line."""
    view = await schedules.prepare(
        session, settings, found, body.period, employer_bears_all=body.employer_bears_all
    )
    return ok(ScheduleOut.of(view))


@api.get(
    E + "/schedules/{schedule_id}", responses=error_responses(EmployerNotFound, ScheduleNotFound)
)
async def get_schedule(
    found: EmployerMember,
    schedule_id: str,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[ScheduleOut]:
    """A schedule with its lines, the penalty if paid today and who was left out."""
    return ok(ScheduleOut.of(await schedules.get(session, settings, found, schedule_id)))


ACTION = (*SCOPE, ScheduleNotFound, InvalidTransition)


@api.post(
    E + "/schedules/{schedule_id}/submit", responses=error_responses(*ACTION, RegisterMismatch)
)
async def submit_schedule(
    found: HrOfficer,
    schedule_id: str,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[ScheduleOut]:
    """The maker submits (HR officer); PINs flagged by PenCom's register block it."""
    return ok(ScheduleOut.of(await schedules.submit(session, settings, found, schedule_id)))


@api.post(
    E + "/schedules/{schedule_id}/adjust",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(*ACTION, NothingToSchedule),
)
async def adjust_schedule(
    found: HrOfficer,
    schedule_id: str,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[ScheduleOut]:
    """Correct an approved schedule (HR officer): a new ``adjustment`` schedule referring to
    it with what is still owed per employee; the approved schedule itself never changes."""
    view = await schedules.adjust(session, settings, found, schedule_id)
    return ok(ScheduleOut.of(view))


@api.post(E + "/schedules/{schedule_id}/reject", responses=error_responses(*ACTION))
async def reject_schedule(
    found: FinanceApprover,
    schedule_id: str,
    body: RejectIn,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[ScheduleOut]:
    view = await schedules.reject(session, settings, found, schedule_id, body.reason)
    return ok(ScheduleOut.of(view))


@api.post(E + "/schedules/{schedule_id}/discard", responses=error_responses(*ACTION))
async def discard_schedule(
    found: HrOfficer,
    schedule_id: str,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[ScheduleOut]:
    return ok(ScheduleOut.of(await schedules.discard(session, settings, found, schedule_id)))


@api.post(
    E + "/schedules/{schedule_id}/approve",
    responses=error_responses(*ACTION, MakerChecker, TotpRequired),
)
async def approve_schedule(
    found: FinanceApprover,
    schedule_id: str,
    body: ApproveIn,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[ScheduleOut]:
    """The checker approves (finance approver, not the maker) with a fresh TOTP code; the
    schedule is immutable from now on."""
    view = await schedules.approve(session, settings, found, schedule_id, body.totp_code)
    return ok(ScheduleOut.of(view))


@api.post(
    E + "/schedules/{schedule_id}/pay",
    responses=error_responses(
        *ACTION, NoProviderAvailable, PaymentRejected, ProvidersUnavailable, *PROVIDER
    ),
)
async def pay_schedule(
    found: FinanceApprover,
    schedule_id: str,
    body: PayScheduleIn,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[PaymentOut]:
    """Remit through Remita (finance approver): an RRR for contributions plus any late
    penalty, to pay on Remita's page (``authorization_url``) or at a bank. The schedule is
    ``confirmed`` once Remita's status check says paid (its notification is unsigned)."""
    schedule, payment = await schedules.pay(
        session, settings, found, schedule_id, body.callback_url
    )
    return ok(
        PaymentOut(
            schedule_id=schedule.id,
            payment_id=payment.id,
            status=payment.status,
            rrr=schedule.rrr,
            amount=payment.amount,
            penalty=schedule.penalty,
            authorization_url=payment.authorization_url,
        )
    )


@api.post(
    E + "/schedules/{schedule_id}/check-payment",
    responses=error_responses(*SCOPE, ScheduleNotFound),
)
async def check_payment(
    found: EmployerMember, schedule_id: str, session: DbSession
) -> Envelope[ScheduleSummaryOut]:
    """Ask Remita now about the schedule's RRR (you paid it); the answer settles it."""
    schedule = await schedules.check_payment(session, found, schedule_id)
    return ok(ScheduleSummaryOut.model_validate(schedule))


@api.get(
    E + "/schedules/{schedule_id}/exports",
    responses=error_responses(EmployerNotFound, ScheduleNotFound),
)
async def list_exports(
    found: EmployerMember,
    schedule_id: str,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[list[dict[str, object]]]:
    """The PFAs of the schedule, each with its line count and total (kobo)."""
    view = await schedules.get(session, settings, found, schedule_id)
    return ok(
        [
            {"pfa_code": pfa, "lines": len(items), "total": sum(x.total for x in items)}
            for pfa, items in exports.by_pfa(view.lines).items()
        ]
    )


@api.get(
    E + "/schedules/{schedule_id}/exports/{pfa_code}.{fmt}",
    responses=error_responses(EmployerNotFound, ScheduleNotFound),
)
async def export_pfa(
    found: EmployerMember,
    schedule_id: str,
    pfa_code: str,
    fmt: str,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """One PFA's file (``csv`` or ``xlsx``), or ``summary.pdf`` for the whole schedule."""
    schedule = await schedules.load(session, found, schedule_id)
    view = await schedules.view(session, settings, schedule)
    name = f"{pfa_code}.{fmt}"
    content, media = exports.export_file(found.employer, schedule, view.lines, name)
    headers = {"Content-Disposition": f'attachment; filename="{schedule.period}-{name}"'}
    return Response(content, media_type=media, headers=headers)


# GLI and compliance -----------------------------------------------------------------------------


@api.get(E + "/gli", responses=error_responses(EmployerNotFound))
async def list_policies(found: EmployerMember, session: DbSession) -> Envelope[list[GliOut]]:
    return ok([GliOut.of(p) for p in await compliance.policies(session, found)])


@api.post(E + "/gli", status_code=status.HTTP_201_CREATED, responses=error_responses(*SCOPE))
async def add_policy(found: ComplianceOfficer, body: GliIn, session: DbSession) -> Envelope[GliOut]:
    """Record a Group Life Insurance policy (s.4(5)): cover = multiple × annual emoluments."""
    policy = await compliance.add_policy(session, found, body.model_dump())
    return ok(GliOut.of(policy))


@api.post(
    E + "/gli/{policy_id}/certificate",
    responses=error_responses(*SCOPE, PolicyNotFound, BadRequest),
)
async def upload_gli_certificate(
    found: ComplianceOfficer,
    policy_id: str,
    session: DbSession,
    storage: FileStorage,
    file: Annotated[UploadFile, File(description="the insurer's certificate: PDF, PNG or JPEG")],
) -> Envelope[GliOut]:
    """Upload the policy's GLI certificate (at most 5 MB)."""
    data = await file.read(compliance.MAX_CERTIFICATE + 1)
    policy = await compliance.upload_certificate(
        session,
        storage,
        found,
        policy_id,
        data,
        file.content_type or "",
    )
    return ok(GliOut.of(policy))


@api.get(E + "/gli/cover", responses=error_responses(EmployerNotFound))
async def gli_cover(
    found: EmployerMember, session: DbSession, settings: AppSettings
) -> Envelope[list[CoverOut]]:
    """Each employee's required (3 × ATE) and actual cover today; shortfalls flagged."""
    _, cover = await compliance.covers(session, settings, found.employer.id, utcnow().date())
    return ok(
        [
            CoverOut(
                staff_id=c.staff_id,
                name=c.name,
                required=c.required,
                covered=c.covered,
                shortfall=c.shortfall,
            )
            for c in cover
        ]
    )


@api.get(E + "/compliance", responses=error_responses(EmployerNotFound))
async def readiness(
    found: EmployerMember, session: DbSession, settings: AppSettings
) -> Envelope[ReadinessOut]:
    """PCC readiness: each item with its evidence."""
    _, items = await compliance.readiness(session, settings, found)
    return ok(
        ReadinessOut(
            ready=all(i.ok for i in items),
            items=[ItemOut(key=i.key, label=i.label, ok=i.ok, evidence=i.evidence) for i in items],
        )
    )


def _certificate_out(settings: AppSettings, c: PensionCertificate) -> CertificateOut:
    return CertificateOut(
        id=c.id,
        number=c.number,
        year=c.year,
        valid_until=c.valid_until,
        issued_at=c.issued_at,
        verify_url=compliance.verify_url(settings, c),
    )


@api.post(
    E + "/certificates",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(*SCOPE, NotReady),
)
async def issue_certificate(
    found: ComplianceOfficer, session: DbSession, settings: AppSettings
) -> Envelope[CertificateOut]:
    """Issue the compliance report (valid to 31 December) when every item holds."""
    c = await compliance.issue_certificate(session, settings, found)
    return ok(_certificate_out(settings, c))


@api.get(E + "/certificates", responses=error_responses(EmployerNotFound))
async def list_certificates(
    found: EmployerMember, session: DbSession, settings: AppSettings
) -> Envelope[list[CertificateOut]]:
    rows = await compliance.certificates(session, found)
    return ok([_certificate_out(settings, c) for c in rows])


@api.get(
    E + "/certificates/{certificate_id}.pdf",
    responses=error_responses(EmployerNotFound, CertificateNotFound),
)
async def certificate_pdf(
    found: EmployerMember,
    certificate_id: str,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """The compliance report PDF with its QR code."""
    _, pdf = await compliance.certificate_pdf(session, settings, found, certificate_id)
    return Response(pdf, media_type="application/pdf")


@api.get("/verify/{token}")
async def verify_certificate(token: str, session: DbSession) -> Envelope[VerificationOut]:
    """Public: is this certificate genuine and still valid (nothing else is shown)."""
    v = await compliance.verify(session, token)
    return ok(
        VerificationOut(
            genuine=v.genuine,
            valid=v.valid,
            number=v.number,
            employer=v.employer,
            valid_until=v.valid_until,
            revoked_on=v.revoked_on,
        )
    )


router = APIRouter()  # what the app mounts: the employers' API and the admins'
router.include_router(api)
router.include_router(admin_endpoints.router)
