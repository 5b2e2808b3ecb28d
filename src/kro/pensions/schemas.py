"""Request and response bodies of ``/v1/pensions``. Amounts are ``int`` kobo everywhere."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from kro.pensions.employers import Access
from kro.pensions.schedules import ScheduleView

Kobo = Field(ge=0, le=10**13)


class EmployerIn(BaseModel):
    name: str = Field(min_length=2, max_length=200)
    rc_number: str = Field(min_length=2, max_length=20, description="CAC RC number")
    tin: str = Field(min_length=5, max_length=20)
    address: str = Field(min_length=3, max_length=300)
    state: str = Field(min_length=2, max_length=40)
    sector: str = Field(min_length=2, max_length=60)
    employer_code: str = Field(
        min_length=2, max_length=30, description="PenCom employer code (format not published)"
    )
    salary_day: int = Field(ge=1, le=31, description="day of the month salaries are paid")
    incorporated_on: date


class EmployerPatch(BaseModel):
    name: str | None = Field(default=None, min_length=2, max_length=200)
    address: str | None = Field(default=None, min_length=3, max_length=300)
    state: str | None = Field(default=None, min_length=2, max_length=40)
    sector: str | None = Field(default=None, min_length=2, max_length=60)
    employer_code: str | None = Field(default=None, min_length=2, max_length=30)
    salary_day: int | None = Field(default=None, ge=1, le=31)


class EmployerOut(BaseModel):
    id: str
    name: str
    rc_number: str
    tin: str
    address: str
    state: str
    sector: str
    employer_code: str
    salary_day: int
    incorporated_on: date
    role: str
    owner: bool
    headcount: int | None = None
    covered: bool | None = None

    @classmethod
    def of(
        cls, found: Access, headcount: int | None = None, covered: bool | None = None
    ) -> EmployerOut:
        e = found.employer
        return cls(
            id=e.id,
            name=e.name,
            rc_number=e.rc_number,
            tin=e.tin,
            address=e.address,
            state=e.state,
            sector=e.sector,
            employer_code=e.employer_code,
            salary_day=e.salary_day,
            incorporated_on=e.incorporated_on,
            role=found.member.role,
            owner=found.member.owner,
            headcount=headcount,
            covered=covered,
        )


class MemberIn(BaseModel):
    email: EmailStr
    role: Literal["hr_officer", "finance_approver", "viewer"]


class MemberOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: str
    owner: bool


class PayIn(BaseModel):
    """Monthly pay, kobo."""

    basic: int = Field(gt=0, le=10**13)
    housing: int = Kobo
    transport: int = Kobo
    other: int = Kobo
    voluntary: int = Kobo


class PayChangeIn(PayIn):
    """New monthly pay from ``effective_from`` (a date before the hire date is the hire
    date); periods before it keep their pay."""

    effective_from: date


class PayOut(BaseModel):
    """One row of an employee's pay history (kobo a month), in force from ``effective_from``
    until the next row's date."""

    model_config = ConfigDict(from_attributes=True)

    effective_from: date
    basic: int
    housing: int
    transport: int
    other: int
    voluntary: int


class EmployeeIn(BaseModel):
    staff_id: str = Field(min_length=1, max_length=40)
    surname: str = Field(min_length=1, max_length=100)
    first_name: str = Field(min_length=1, max_length=100)
    other_names: str | None = Field(default=None, max_length=100)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=30)
    date_of_birth: date | None = None
    hire_date: date
    exit_date: date | None = None
    rsa_pin: str | None = Field(default=None, max_length=20, description="PEN + 12 digits")
    pfa_code: str | None = Field(default=None, max_length=10)
    bvn: str | None = Field(default=None, pattern=r"^\d{11}$")
    pay: PayIn


class EmployeePatch(BaseModel):
    surname: str | None = Field(default=None, min_length=1, max_length=100)
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    other_names: str | None = Field(default=None, max_length=100)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=30)
    date_of_birth: date | None = None
    exit_date: date | None = None
    rsa_pin: str | None = Field(default=None, max_length=20)
    pfa_code: str | None = Field(default=None, max_length=10)
    bvn: str | None = Field(default=None, pattern=r"^\d{11}$")

    @field_validator("surname", "first_name", mode="before")
    @classmethod
    def _required_if_given(cls, value: object) -> object:
        """Leave a name out to keep it; ``null`` would erase a required field."""
        if value is None:
            raise ValueError("This name is required.")
        return value


class EmployeeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    staff_id: str
    surname: str
    first_name: str
    other_names: str | None
    email: str | None
    phone: str | None
    date_of_birth: date | None
    hire_date: date
    exit_date: date | None
    rsa_pin: str | None
    pfa_code: str | None
    bvn: str | None
    register_status: str
    register_note: str | None


class RowError(BaseModel):
    row: int
    column: str
    reason: str


class ImportOut(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    warnings: list[RowError]


class FindingOut(BaseModel):
    employee_id: str
    status: str
    note: str | None


class ScheduleIn(BaseModel):
    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    employer_bears_all: bool = False


class RejectIn(BaseModel):
    reason: str = Field(min_length=2, max_length=500)


class ApproveIn(BaseModel):
    totp_code: str = Field(min_length=6, max_length=16)


class PayScheduleIn(BaseModel):
    callback_url: str | None = Field(default=None, max_length=500)


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    employee_id: str
    staff_id: str
    surname: str
    first_name: str
    other_names: str | None
    rsa_pin: str | None
    pfa_code: str | None
    pfc_code: str | None
    days_active: int
    days_in_month: int
    emoluments: int
    employee_amount: int
    employer_amount: int
    voluntary: int
    total: int
    penalty: int


class ScheduleSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    period: str
    kind: str
    status: str
    total: int
    penalty: int
    deadline: date
    rrr: str | None


class ScheduleOut(BaseModel):
    id: str
    employer_id: str
    period: str
    kind: str
    adjusts_id: str | None
    status: str
    allowed_actions: list[str]
    employer_bears_all: bool
    employee_rate_bps: int
    employer_rate_bps: int
    employee_total: int
    employer_total: int
    voluntary_total: int
    total: int
    penalty: int
    penalty_months: int
    penalty_if_paid_today: int
    months_late_today: int
    amount_due: int
    salary_date: date
    deadline: date
    prepared_by: str
    submitted_by: str | None
    approved_by: str | None
    approved_at: datetime | None
    payment_id: str | None
    rrr: str | None
    paid_on: date | None
    confirmed_at: datetime | None
    lines: list[LineOut]
    without_pin: list[dict[str, Any]] = Field(
        description="employees left out for want of an RSA PIN (6 months to open one)"
    )

    @classmethod
    def of(cls, v: ScheduleView) -> ScheduleOut:
        from kro.pensions.states import SCHEDULE

        s = v.schedule
        return cls(
            id=s.id,
            employer_id=s.employer_id,
            period=s.period,
            kind=s.kind,
            adjusts_id=s.adjusts_id,
            status=s.status,
            allowed_actions=SCHEDULE.allowed(s.status),
            employer_bears_all=s.employer_bears_all,
            employee_rate_bps=s.employee_rate_bps,
            employer_rate_bps=s.employer_rate_bps,
            employee_total=s.employee_total,
            employer_total=s.employer_total,
            voluntary_total=s.voluntary_total,
            total=s.total,
            penalty=s.penalty,
            penalty_months=s.penalty_months,
            penalty_if_paid_today=v.penalty_if_paid_today,
            months_late_today=v.months_late_today,
            amount_due=s.total + (s.penalty if s.payment_id else v.penalty_if_paid_today),
            salary_date=s.salary_date,
            deadline=s.deadline,
            prepared_by=s.prepared_by,
            submitted_by=s.submitted_by,
            approved_by=s.approved_by,
            approved_at=s.approved_at,
            payment_id=s.payment_id,
            rrr=s.rrr,
            paid_on=s.paid_on,
            confirmed_at=s.confirmed_at,
            lines=[LineOut.model_validate(x) for x in v.lines],
            without_pin=[
                {"employee_id": e.id, "staff_id": e.staff_id, "hire_date": e.hire_date.isoformat()}
                for e in v.without_pin
            ],
        )


class PaymentOut(BaseModel):
    schedule_id: str
    payment_id: str
    status: str
    rrr: str | None
    amount: int
    penalty: int
    authorization_url: str | None


class GliIn(BaseModel):
    insurer: str = Field(min_length=2, max_length=100)
    policy_number: str = Field(min_length=2, max_length=60)
    cover_start: date
    cover_end: date
    cover_multiple: int = Field(ge=1, le=20, description="times annual total emoluments")
    premium: int = Field(gt=0, le=10**13, description="kobo")
    premium_paid_on: date | None = None


class GliOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    insurer: str
    policy_number: str
    cover_start: date
    cover_end: date
    cover_multiple: int
    premium: int
    premium_paid_on: date | None
    certificate_uploaded: bool = False

    @classmethod
    def of(cls, policy: Any) -> GliOut:
        out = cls.model_validate(policy)
        out.certificate_uploaded = policy.certificate_key is not None
        return out


class CoverOut(BaseModel):
    staff_id: str
    name: str
    required: int
    covered: int
    shortfall: int


class ItemOut(BaseModel):
    key: str
    label: str
    ok: bool
    evidence: str


class ReadinessOut(BaseModel):
    ready: bool
    items: list[ItemOut]


class CertificateOut(BaseModel):
    id: str
    number: str
    year: int
    valid_until: date
    issued_at: datetime
    verify_url: str


class VerificationOut(BaseModel):
    """Public: ``valid`` is false once expired or revoked (``revoked_on``)."""

    genuine: bool
    valid: bool
    number: str | None
    employer: str | None
    valid_until: date | None
    revoked_on: date | None = None


class RevokeIn(BaseModel):
    """Why an admin revokes a certificate (kept in the audit log, not shown publicly)."""

    reason: str = Field(min_length=3, max_length=500)


class TotpEnrolmentOut(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg_data_uri: str
    recovery_codes: list[str]


class TotpConfirmIn(BaseModel):
    code: str = Field(min_length=6, max_length=16)
