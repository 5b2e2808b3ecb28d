"""Group Life Insurance, PCC readiness, the compliance report with its QR code, the public
verification, and employees' yearly statements.

Readiness (shared/reference/domains.md §4, PCC documents), each item with its evidence:

1. ``employee_list``: every employee in service has an RSA PIN that PenCom's register verified.
2. ``rates``: the rates in force are at least 8 % (employee) and 10 % (employer), or 20 % borne
   by the employer (settings).
3. ``remittances``: every month from incorporation (at most 3 fiscal years back) up to the
   last month before this one whose deadline has passed has a confirmed schedule.
4. ``penalties``: no schedule past its deadline is unpaid (penalties are paid with it).
5. ``gli``: a policy is in force today, its premium paid no later than its cover start, and
   each employee's cover (multiple × annual total emoluments) is at least
   ``KRO_PENSIONS_GLI_MULTIPLE`` (3) × ATE (s.4(5)).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro import documents
from kro.kit.clock import utcnow
from kro.kit.errors import BadRequest
from kro.pensions import rules, states
from kro.pensions.employees import pay_history, pay_on
from kro.pensions.employers import Access, audit, snapshot
from kro.pensions.errors import CertificateNotFound, EmployeeNotFound, NotReady, PolicyNotFound
from kro.pensions.exports import naira
from kro.pensions.models import (
    PensionCertificate,
    PensionEmployee,
    PensionEmployer,
    PensionGliPolicy,
    PensionSchedule,
    PensionScheduleLine,
)
from kro.pensions.operators import pfa_name
from kro.settings import Settings

GLI_FIELDS = (
    "insurer",
    "policy_number",
    "cover_start",
    "cover_end",
    "cover_multiple",
    "premium",
    "premium_paid_on",
)


async def add_policy(
    session: AsyncSession, found: Access, fields: dict[str, Any]
) -> PensionGliPolicy:
    """Record a GLI policy (HR officer or finance approver)."""
    actor, employer_id = found.actor, found.employer.id
    policy = PensionGliPolicy(employer_id=employer_id, created_by=actor.id, **fields)
    session.add(policy)
    await session.flush()
    await audit(
        session,
        actor,
        "gli.recorded",
        "pension_gli_policy",
        policy.id,
        after=snapshot(policy, GLI_FIELDS),
    )
    return policy


CERTIFICATE_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
MAX_CERTIFICATE = 5 * 1024 * 1024


async def upload_certificate(
    session: AsyncSession,
    storage: Any,
    found: Access,
    policy_id: str,
    data: bytes,
    content_type: str,
) -> PensionGliPolicy:
    """Keep the insurer's GLI certificate (PDF, PNG or JPEG, at most 5 MB) with the policy
    (PenCom asks for it each year; the Guidelines want it displayed). PolicyNotFound (404),
    BadRequest (400) for another type or size."""
    actor, employer_id = found.actor, found.employer.id
    policy = await session.get(PensionGliPolicy, policy_id)
    if policy is None or policy.employer_id != employer_id:
        raise PolicyNotFound()
    extension = CERTIFICATE_TYPES.get(content_type)
    if extension is None or not data or len(data) > MAX_CERTIFICATE:
        raise BadRequest("The certificate must be a PDF, PNG or JPEG of at most 5 MB.")
    key = f"pensions/gli/{policy.id}/{secrets.token_hex(8)}.{extension}"
    await storage.put(key, data, content_type)
    before = {"certificate_key": policy.certificate_key}
    policy.certificate_key = key
    await session.flush()
    await audit(
        session,
        actor,
        "gli.certificate_uploaded",
        "pension_gli_policy",
        policy.id,
        before=before,
        after={"certificate_key": key, "bytes": len(data)},
    )
    return policy


async def policies(session: AsyncSession, found: Access) -> list[PensionGliPolicy]:
    rows = await session.scalars(
        select(PensionGliPolicy)
        .where(PensionGliPolicy.employer_id == found.employer.id)
        .order_by(PensionGliPolicy.cover_end.desc())
    )
    return list(rows)


@dataclass(frozen=True)
class Cover:
    """One employee's GLI position: ``required`` and ``covered`` in kobo."""

    employee_id: str
    staff_id: str
    name: str
    required: int
    covered: int

    @property
    def shortfall(self) -> int:
        return max(0, self.required - self.covered)


async def in_service(session: AsyncSession, employer_id: str, on: date) -> list[PensionEmployee]:
    rows = await session.scalars(
        select(PensionEmployee)
        .where(
            PensionEmployee.employer_id == employer_id,
            PensionEmployee.hire_date <= on,
            (PensionEmployee.exit_date.is_(None)) | (PensionEmployee.exit_date >= on),
        )
        .order_by(PensionEmployee.staff_id)
    )
    return list(rows)


def active_policy(found: list[PensionGliPolicy], on: date) -> PensionGliPolicy | None:
    live = [p for p in found if p.cover_start <= on <= p.cover_end]
    return max(live, key=lambda p: p.cover_multiple) if live else None


async def covers(
    session: AsyncSession, settings: Settings, employer_id: str, on: date
) -> tuple[PensionGliPolicy | None, list[Cover]]:
    """The policy in force on ``on`` and every employee's required and actual cover."""
    found = list(
        await session.scalars(
            select(PensionGliPolicy).where(PensionGliPolicy.employer_id == employer_id)
        )
    )
    policy = active_policy(found, on)
    result = []
    for employee in await in_service(session, employer_id, on):
        pay = pay_on(await pay_history(session, employee.id), on)
        ate = pay.annual_total_emoluments if pay else 0
        result.append(
            Cover(
                employee.id,
                employee.staff_id,
                f"{employee.surname} {employee.first_name}",
                settings.pensions_gli_multiple * ate,
                policy.cover_multiple * ate if policy else 0,
            )
        )
    return policy, result


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    ok: bool
    evidence: str


def required_months(
    incorporated: date, today: date, salary_day: int, working_days: int
) -> list[str]:
    """Months that must have a confirmed remittance: from incorporation (at most 3 fiscal
    years back) to the last month before this one whose deadline has passed."""
    start = max(incorporated.replace(day=1), date(today.year - 3, 1, 1))
    months = []
    year, month = start.year, start.month
    while (year, month) < (today.year, today.month):
        period = f"{year:04d}-{month:02d}"
        if rules.deadline(period, salary_day, working_days) < today:
            months.append(period)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


async def readiness(
    session: AsyncSession, settings: Settings, found: Access
) -> tuple[PensionEmployer, list[Item]]:
    """Each PCC item with its evidence (see the module docstring)."""
    employer = found.employer
    employer_id = employer.id
    today = utcnow().date()
    people = await in_service(session, employer_id, today)
    unverified = [e.staff_id for e in people if e.register_status != "verified"]
    items = [
        Item(
            "employee_list",
            "Certified list of employees",
            bool(people) and not unverified,
            f"{len(people)} employees in service; "
            + (
                f"not verified with PenCom: {', '.join(unverified[:10])}"
                if unverified
                else "every RSA PIN verified"
            ),
        )
    ]
    ee, er = settings.pensions_employee_rate_bps, settings.pensions_employer_rate_bps
    rates_ok = ee >= 800 and er >= 1_000
    items.append(
        Item(
            "rates",
            "Contribution rates",
            rates_ok,
            f"employee {ee / 100:g} %, employer {er / 100:g} %",
        )
    )
    schedules = list(
        await session.scalars(
            select(PensionSchedule).where(
                PensionSchedule.employer_id == employer_id,
                PensionSchedule.status != states.DISCARDED,
            )
        )
    )
    confirmed = {s.period for s in schedules if s.status == states.CONFIRMED}
    needed = required_months(
        employer.incorporated_on,
        today,
        employer.salary_day,
        settings.pensions_remittance_working_days,
    )
    missing = [m for m in needed if m not in confirmed]
    items.append(
        Item(
            "remittances",
            "Remittances for the last 3 fiscal years (or since incorporation)",
            not missing,
            f"{len(confirmed)} confirmed months"
            + (f"; unpaid: {', '.join(missing[:12])}" if missing else "; no unpaid month"),
        )
    )
    overdue = [s.period for s in schedules if s.status != states.CONFIRMED and s.deadline < today]
    penalties = sum(s.penalty for s in schedules if s.status == states.CONFIRMED)
    items.append(
        Item(
            "penalties",
            "Outstanding contributions and penalties paid",
            not overdue,
            (f"overdue: {', '.join(overdue)}" if overdue else "nothing overdue")
            + f"; penalties paid ₦{Decimal(penalties) / 100:,.2f}",
        )
    )
    policy, cover = await covers(session, settings, employer_id, today)
    short = [c.staff_id for c in cover if c.shortfall]
    premium_ok = bool(
        policy and policy.premium_paid_on and policy.premium_paid_on <= policy.cover_start
    )
    items.append(
        Item(
            "gli",
            "Group Life Insurance covering everyone",
            bool(policy) and premium_ok and not short,
            (
                f"{policy.insurer} {policy.policy_number} to {policy.cover_end.isoformat()}, "
                f"{policy.cover_multiple}× annual emoluments"
                + ("" if premium_ok else "; premium not paid by cover start")
                + (f"; short: {', '.join(short[:10])}" if short else "")
            )
            if policy
            else "no policy in force",
        )
    )
    return employer, items


async def issue_certificate(
    session: AsyncSession, settings: Settings, found: Access
) -> PensionCertificate:
    """Issue the compliance report (HR officer or finance approver) when every item holds
    (NotReady, 422, with the failing items otherwise); valid to 31 December of this year."""
    actor, employer_id = found.actor, found.employer.id
    _, items = await readiness(session, settings, found)
    failing = [i.key for i in items if not i.ok]
    if failing:
        raise NotReady(details={"failing": failing})
    today = utcnow().date()
    count = await session.scalar(select(func.count()).select_from(PensionCertificate))
    certificate = PensionCertificate(
        employer_id=employer_id,
        number=f"KRO-PCC-{today.year}-{int(count or 0) + 1:06d}",
        token=secrets.token_urlsafe(24),
        year=today.year,
        valid_until=date(today.year, 12, 31),
        issued_by=actor.id,
    )
    session.add(certificate)
    await session.flush()
    await audit(
        session,
        actor,
        "certificate.issued",
        "pension_certificate",
        certificate.id,
        after={"number": certificate.number, "valid_until": certificate.valid_until.isoformat()},
    )
    return certificate


def verify_url(settings: Settings, certificate: PensionCertificate) -> str:
    return f"{settings.base_url}/pensions/verify/{certificate.token}"


async def certificates(session: AsyncSession, found: Access) -> list[PensionCertificate]:
    rows = await session.scalars(
        select(PensionCertificate)
        .where(PensionCertificate.employer_id == found.employer.id)
        .order_by(PensionCertificate.issued_at.desc())
    )
    return list(rows)


async def certificate_pdf(
    session: AsyncSession, settings: Settings, found: Access, certificate_id: str
) -> tuple[PensionCertificate, bytes]:
    employer = found.employer
    certificate = await session.get(PensionCertificate, certificate_id)
    if certificate is None or certificate.employer_id != employer.id:
        raise CertificateNotFound()
    _, items = await readiness(session, settings, found)
    url = verify_url(settings, certificate)
    pdf = documents.render(
        "pensions/certificate.typ",
        {
            "employer": employer.name,
            "rc_number": employer.rc_number,
            "employer_code": employer.employer_code,
            "number": certificate.number,
            "issued_on": certificate.issued_at.date().isoformat(),
            "valid_until": certificate.valid_until.isoformat(),
            "items": [
                {"label": i.label, "evidence": i.evidence, "status": "met" if i.ok else "not met"}
                for i in items
            ],
            "url": url,
            "qr": documents.qr_svg(url),
        },
    )
    return certificate, pdf


@dataclass(frozen=True)
class Verification:
    """What the public verification page shows: genuine, valid, and nothing more than the
    certificate's own number, holder name and validity."""

    genuine: bool
    valid: bool
    number: str | None = None
    employer: str | None = None
    valid_until: date | None = None
    revoked_on: date | None = None


async def verify(session: AsyncSession, token: str) -> Verification:
    """Public: is the certificate behind ``token`` genuine and still valid (not expired, not
    revoked by an admin)?"""
    certificate = await session.scalar(
        select(PensionCertificate).where(PensionCertificate.token == token)
    )
    if certificate is None:
        return Verification(False, False)
    employer = await session.get(PensionEmployer, certificate.employer_id)
    revoked = certificate.revoked_at.date() if certificate.revoked_at else None
    return Verification(
        True,
        revoked is None and utcnow().date() <= certificate.valid_until,
        certificate.number,
        employer.name if employer else None,
        certificate.valid_until,
        revoked,
    )


async def statement_pdf(session: AsyncSession, found: Access, employee_id: str, year: int) -> bytes:
    """An employee's contributions for ``year`` from the confirmed schedules (PDF)."""
    employer = found.employer
    employer_id = employer.id
    employee = await session.get(PensionEmployee, employee_id)
    if employee is None or employee.employer_id != employer_id:
        raise EmployeeNotFound()
    rows = await session.execute(
        select(PensionSchedule.period, PensionScheduleLine)
        .join(PensionScheduleLine, PensionScheduleLine.schedule_id == PensionSchedule.id)
        .where(
            PensionSchedule.employer_id == employer_id,
            PensionSchedule.status == states.CONFIRMED,
            PensionScheduleLine.employee_id == employee_id,
            PensionSchedule.period.like(f"{year:04d}-%"),
        )
        .order_by(PensionSchedule.period)
    )
    lines = [(period, line) for period, line in rows.all()]
    return documents.render(
        "pensions/statement.typ",
        {
            "year": str(year),
            "name": " ".join(
                n for n in (employee.surname, employee.first_name, employee.other_names) if n
            ),
            "rsa_pin": employee.rsa_pin or "—",
            "pfa": pfa_name(employee.pfa_code or ""),
            "employer": employer.name,
            "lines": [
                {
                    "period": p,
                    "employee": naira(x.employee_amount),
                    "employer": naira(x.employer_amount),
                    "voluntary": naira(x.voluntary),
                    "total": naira(x.total),
                    "penalty": naira(x.penalty),
                }
                for p, x in lines
            ],
            "employee": naira(sum(x.employee_amount for _, x in lines)),
            "employer_total": naira(sum(x.employer_amount for _, x in lines)),
            "voluntary": naira(sum(x.voluntary for _, x in lines)),
            "total": naira(sum(x.total for _, x in lines)),
            "penalty": naira(sum(x.penalty for _, x in lines)),
        },
    )


GLI_WARNING_DAYS = 30
"""A policy ending within this many days is flagged and reminded."""


async def gli_attention(
    session: AsyncSession, settings: Settings, today: date
) -> list[tuple[str, str, str]]:
    """``(employer_id, dedupe key, what needs attention)`` for every employer whose GLI needs
    it: no policy in force, a policy ending within :data:`GLI_WARNING_DAYS`, or employees
    covered for less than ``KRO_PENSIONS_GLI_MULTIPLE`` × ATE (s.4(5))."""
    found = []
    for employer_id in await session.scalars(select(PensionEmployer.id)):
        people = await in_service(session, employer_id, today)
        if not people:
            continue
        policy, cover = await covers(session, settings, employer_id, today)
        if policy is None:
            found.append((employer_id, f"gli-none:{today.isoformat()}", "no GLI policy in force"))
            continue
        if (policy.cover_end - today).days <= GLI_WARNING_DAYS:
            found.append(
                (
                    employer_id,
                    f"gli-expiry:{policy.id}",
                    f"policy {policy.policy_number} ends on {policy.cover_end.isoformat()}",
                )
            )
        short = [c.staff_id for c in cover if c.shortfall]
        if short:
            found.append(
                (
                    employer_id,
                    f"gli-short:{policy.id}:{today.isoformat()}",
                    f"cover below {settings.pensions_gli_multiple}× annual emoluments: "
                    + ", ".join(short[:10]),
                )
            )
    return found
