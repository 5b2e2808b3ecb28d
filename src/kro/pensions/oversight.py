"""What the platform's admins see of Pencom across employers (the admin console's
``/admin/pensions``): employers with their coverage, schedules by status, remittances past
their deadline (unpaid, with the penalty if paid today, or paid late with the penalty paid),
and issued compliance certificates, which an admin may revoke with a reason (audited; the
public verification page then says *revoked*). Read-only except :func:`revoke_certificate`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.models import User
from kro.kit.clock import utcnow
from kro.pensions import schedules, states
from kro.pensions.employers import Actor, audit, covered
from kro.pensions.errors import CertificateNotFound, CertificateRevoked
from kro.pensions.models import (
    PensionCertificate,
    PensionEmployee,
    PensionEmployer,
    PensionSchedule,
)
from kro.settings import Settings

LIMIT = 200
STATUSES = (
    states.DRAFT,
    states.SUBMITTED,
    states.APPROVED,
    states.REMITTED,
    states.CONFIRMED,
    states.DISCARDED,
)


@dataclass(frozen=True)
class EmployerRow:
    """An employer, its employees in service today and whether the PRA covers it."""

    employer: PensionEmployer
    headcount: int
    covered: bool


async def employers_overview(session: AsyncSession, settings: Settings) -> list[EmployerRow]:
    """The newest employers (at most :data:`LIMIT`) with their headcount and coverage."""
    today = utcnow().date()
    counts = dict(
        (
            await session.execute(
                select(PensionEmployee.employer_id, func.count())
                .where(
                    PensionEmployee.hire_date <= today,
                    PensionEmployee.exit_date.is_(None) | (PensionEmployee.exit_date >= today),
                )
                .group_by(PensionEmployee.employer_id)
            )
        ).all()
    )
    rows = await session.scalars(
        select(PensionEmployer).order_by(PensionEmployer.created_at.desc()).limit(LIMIT)
    )
    return [
        EmployerRow(e, counts.get(e.id, 0), covered(settings, counts.get(e.id, 0))) for e in rows
    ]


async def schedule_counts(session: AsyncSession) -> list[tuple[str, int]]:
    """How many schedules are in each state, in the lifecycle's order."""
    found = dict(
        (
            await session.execute(
                select(PensionSchedule.status, func.count()).group_by(PensionSchedule.status)
            )
        ).all()
    )
    return [(s, int(found.get(s, 0))) for s in STATUSES]


async def schedules_in(
    session: AsyncSession, status: str
) -> list[tuple[PensionSchedule, PensionEmployer]]:
    """The schedules in ``status`` (the most recent periods first), each with its employer."""
    rows = await session.execute(
        select(PensionSchedule, PensionEmployer)
        .join(PensionEmployer, PensionEmployer.id == PensionSchedule.employer_id)
        .where(PensionSchedule.status == status)
        .order_by(PensionSchedule.period.desc(), PensionSchedule.created_at.desc())
        .limit(LIMIT)
    )
    return [(s, e) for s, e in rows.all()]


@dataclass(frozen=True)
class Late:
    """A schedule past its deadline: ``penalty`` in kobo (if paid today while unpaid; as paid
    once confirmed) for ``months`` months or parts of a month late."""

    schedule: PensionSchedule
    employer: PensionEmployer
    months: int
    penalty: int

    @property
    def paid(self) -> bool:
        return self.schedule.status == states.CONFIRMED


def _late(today: date) -> ColumnElement[bool]:
    """Past the deadline and not paid, or confirmed with a penalty."""
    unpaid = (PensionSchedule.status.in_(states.OPEN)) & (PensionSchedule.deadline < today)
    paid_late = (PensionSchedule.status == states.CONFIRMED) & (PensionSchedule.penalty > 0)
    return unpaid | paid_late


async def late_remittances(session: AsyncSession, settings: Settings) -> list[Late]:
    """Unpaid schedules past their deadline (oldest deadline first), then those paid late."""
    rows = await session.execute(
        select(PensionSchedule, PensionEmployer)
        .join(PensionEmployer, PensionEmployer.id == PensionSchedule.employer_id)
        .where(_late(utcnow().date()))
        .order_by(PensionSchedule.deadline)
        .limit(LIMIT)
    )
    found = []
    for schedule, employer in rows.all():
        view = await schedules.view(session, settings, schedule)
        found.append(Late(schedule, employer, view.months_late_today, view.penalty_if_paid_today))
    return sorted(found, key=lambda x: x.paid)


async def count_unpaid_late(session: AsyncSession) -> int:
    """Schedules past their deadline and still unpaid (the admin overview's tile)."""
    query = select(func.count()).select_from(PensionSchedule)
    query = query.where(
        PensionSchedule.status.in_(states.OPEN), PensionSchedule.deadline < utcnow().date()
    )
    return int((await session.execute(query)).scalar_one())


async def certificates(
    session: AsyncSession,
) -> list[tuple[PensionCertificate, PensionEmployer]]:
    """Issued compliance certificates, newest first, each with its employer."""
    rows = await session.execute(
        select(PensionCertificate, PensionEmployer)
        .join(PensionEmployer, PensionEmployer.id == PensionCertificate.employer_id)
        .order_by(PensionCertificate.issued_at.desc())
        .limit(LIMIT)
    )
    return [(c, e) for c, e in rows.all()]


async def revoke_certificate(
    session: AsyncSession, admin: User, certificate_id: str, reason: str, *, ip: str | None
) -> tuple[PensionCertificate, PensionEmployer]:
    """Revoke a certificate (an admin: e.g. issued on evidence later found wrong): its public
    verification says *revoked* from now on. Audited as ``pensions.certificate.revoked`` with
    the reason. Returns it with its employer. CertificateNotFound (404), CertificateRevoked
    (409)."""
    certificate = await session.get(PensionCertificate, certificate_id, with_for_update=True)
    if certificate is None:
        raise CertificateNotFound()
    if certificate.revoked_at is not None:
        raise CertificateRevoked()
    certificate.revoked_at, certificate.revoked_by = utcnow(), admin.id
    certificate.revoke_reason = reason
    await session.flush()
    await audit(
        session,
        Actor(admin, ip),
        "certificate.revoked",
        "pension_certificate",
        certificate.id,
        before={"revoked": False},
        after={"revoked": True, "reason": reason, "number": certificate.number},
    )
    employer = await session.get(PensionEmployer, certificate.employer_id)
    assert employer is not None  # a foreign key
    return certificate, employer
