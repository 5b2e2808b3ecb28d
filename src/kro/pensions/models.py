"""Tables of ``kro.pensions`` (imported by ``kro.registry``, so ``Base.metadata`` has them).

``pension_employers``, ``pension_members`` (the team and roles), ``pension_employees``,
``pension_pay`` (effective-dated pay), ``pension_schedules`` with ``pension_schedule_lines``
and ``pension_schedule_events``, ``pension_gli_policies`` and ``pension_certificates``.
Users and payments are referred to by id. Amounts are ``int`` kobo.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, MinorUnits, UTCDateTime
from kro.kit.ids import new_id


class PensionEmployer(Base):
    """An employer under the PRA 2014: CAC ``rc_number``, ``tin``, PenCom ``employer_code``
    (format unknown: free text), ``salary_day`` (1-31: salaries paid that day each month)."""

    __tablename__ = "pension_employers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("emp"))
    name: Mapped[str] = mapped_column(String(200))
    rc_number: Mapped[str] = mapped_column(String(20))
    tin: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(40))
    sector: Mapped[str] = mapped_column(String(60))
    employer_code: Mapped[str] = mapped_column(String(30))
    salary_day: Mapped[int] = mapped_column(Integer)
    incorporated_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PensionMember(Base):
    """A user on an employer's team: ``role`` ``hr_officer`` (employees, prepares schedules),
    ``finance_approver`` (approves and pays) or ``viewer``; ``owner``: may manage the team."""

    __tablename__ = "pension_members"
    __table_args__ = (UniqueConstraint("employer_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("pmb"))
    employer_id: Mapped[str] = mapped_column(ForeignKey("pension_employers.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(20))
    owner: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PensionEmployee(Base):
    """An employee. ``rsa_pin`` ``PEN`` + 12 digits (soft-validated); ``register_status``:
    ``unchecked`` | ``verified`` | ``mismatch`` | ``not_found`` against PenCom's register, with
    ``register_note`` saying what differed."""

    __tablename__ = "pension_employees"
    __table_args__ = (UniqueConstraint("employer_id", "staff_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("pee"))
    employer_id: Mapped[str] = mapped_column(ForeignKey("pension_employers.id"), index=True)
    staff_id: Mapped[str] = mapped_column(String(40))
    surname: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    other_names: Mapped[str | None] = mapped_column(String(100), default=None)
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    phone: Mapped[str | None] = mapped_column(String(30), default=None)
    date_of_birth: Mapped[date | None] = mapped_column(Date, default=None)
    hire_date: Mapped[date] = mapped_column(Date)
    exit_date: Mapped[date | None] = mapped_column(Date, default=None)
    rsa_pin: Mapped[str | None] = mapped_column(String(20), default=None)
    pfa_code: Mapped[str | None] = mapped_column(String(10), default=None)
    bvn: Mapped[str | None] = mapped_column(String(11), default=None)
    register_status: Mapped[str] = mapped_column(String(16), default="unchecked")
    register_note: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PensionPay(Base):
    """An employee's monthly pay from ``effective_from`` until the next row's (kobo). A period
    is computed with the row in force on its last day, so past periods keep their pay."""

    __tablename__ = "pension_pay"
    __table_args__ = (UniqueConstraint("employee_id", "effective_from"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ppy"))
    employee_id: Mapped[str] = mapped_column(ForeignKey("pension_employees.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    basic: Mapped[int] = mapped_column(MinorUnits, comment="kobo per month")
    housing: Mapped[int] = mapped_column(MinorUnits, default=0, comment="kobo per month")
    transport: Mapped[int] = mapped_column(MinorUnits, default=0, comment="kobo per month")
    other: Mapped[int] = mapped_column(MinorUnits, default=0, comment="kobo per month")
    voluntary: Mapped[int] = mapped_column(MinorUnits, default=0, comment="kobo per month")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PensionSchedule(Base):
    """A monthly contribution schedule (``period`` ``YYYY-MM``). ``kind``: ``regular`` or
    ``adjustment`` (``adjusts_id``: the approved schedule it corrects). ``status``: see
    :mod:`kro.pensions.states`. Rates are fixed at preparation (bps). Totals are the sums of
    the lines (kobo); ``penalty`` is set when the payment is opened (0 when on time)."""

    __tablename__ = "pension_schedules"
    __table_args__ = (Index("ix_pension_schedules_employer_period", "employer_id", "period"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("sch"))
    employer_id: Mapped[str] = mapped_column(ForeignKey("pension_employers.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(12), default="regular")
    adjusts_id: Mapped[str | None] = mapped_column(String(32), default=None)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    employer_bears_all: Mapped[bool] = mapped_column(Boolean, default=False)
    employee_rate_bps: Mapped[int] = mapped_column(Integer)
    employer_rate_bps: Mapped[int] = mapped_column(Integer)
    employee_total: Mapped[int] = mapped_column(MinorUnits, default=0, comment="kobo")
    employer_total: Mapped[int] = mapped_column(MinorUnits, default=0, comment="kobo")
    voluntary_total: Mapped[int] = mapped_column(MinorUnits, default=0, comment="kobo")
    total: Mapped[int] = mapped_column(MinorUnits, default=0, comment="kobo")
    penalty: Mapped[int] = mapped_column(MinorUnits, default=0, comment="kobo")
    penalty_months: Mapped[int] = mapped_column(Integer, default=0)
    salary_date: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    prepared_by: Mapped[str] = mapped_column(String(32))
    submitted_by: Mapped[str | None] = mapped_column(String(32), default=None)
    approved_by: Mapped[str | None] = mapped_column(String(32), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    payment_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    rrr: Mapped[str | None] = mapped_column(String(20), default=None, index=True)
    remitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    paid_on: Mapped[date | None] = mapped_column(Date, default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def amount_due(self) -> int:
        """What the remittance takes: contributions plus any late penalty, kobo."""
        return self.total + self.penalty


class PensionScheduleLine(Base):
    """One employee's line, a snapshot (names, PIN, PFA, PFC as at preparation), kobo."""

    __tablename__ = "pension_schedule_lines"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("scl"))
    schedule_id: Mapped[str] = mapped_column(ForeignKey("pension_schedules.id"), index=True)
    employee_id: Mapped[str] = mapped_column(String(32))
    staff_id: Mapped[str] = mapped_column(String(40))
    surname: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    other_names: Mapped[str | None] = mapped_column(String(100), default=None)
    rsa_pin: Mapped[str | None] = mapped_column(String(20), default=None)
    pfa_code: Mapped[str | None] = mapped_column(String(10), default=None)
    pfc_code: Mapped[str | None] = mapped_column(String(10), default=None)
    days_active: Mapped[int] = mapped_column(Integer)
    days_in_month: Mapped[int] = mapped_column(Integer)
    emoluments: Mapped[int] = mapped_column(MinorUnits, comment="kobo, prorated")
    employee_amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    employer_amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    voluntary: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    total: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    penalty: Mapped[int] = mapped_column(MinorUnits, default=0, comment="kobo, owed to the RSA")


class PensionScheduleEvent(Base):
    """Every transition of a schedule: who, when, from, to, why."""

    __tablename__ = "pension_schedule_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("sce"))
    schedule_id: Mapped[str] = mapped_column(ForeignKey("pension_schedules.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PensionGliPolicy(Base):
    """A Group Life Insurance policy (PRA 2014 s.4(5)). Each employee's cover is
    ``cover_multiple`` × annual total emoluments; ``premium`` kobo paid on ``premium_paid_on``
    (due no later than ``cover_start``)."""

    __tablename__ = "pension_gli_policies"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("gli"))
    employer_id: Mapped[str] = mapped_column(ForeignKey("pension_employers.id"), index=True)
    insurer: Mapped[str] = mapped_column(String(100))
    policy_number: Mapped[str] = mapped_column(String(60))
    cover_start: Mapped[date] = mapped_column(Date)
    cover_end: Mapped[date] = mapped_column(Date)
    cover_multiple: Mapped[int] = mapped_column(Integer, comment="times annual total emoluments")
    premium: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    premium_paid_on: Mapped[date | None] = mapped_column(Date, default=None)
    certificate_key: Mapped[str | None] = mapped_column(String(200), default=None)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PensionCertificate(Base):
    """A compliance report issued when every readiness item held; valid to 31 December of
    ``year``. ``token``: the secret in the QR code's public verification URL. An admin may
    revoke it (``revoked_at``, ``revoked_by``, ``revoke_reason``): the verification page then
    says so."""

    __tablename__ = "pension_certificates"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("pcc"))
    employer_id: Mapped[str] = mapped_column(ForeignKey("pension_employers.id"), index=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    valid_until: Mapped[date] = mapped_column(Date)
    issued_by: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(32), default=None)
    revoke_reason: Mapped[str | None] = mapped_column(String(500), default=None)
