"""The admins' Pencom API, ``/v1/admin/pensions/…``: remittances past their deadline with
their penalties, schedule counts by status, employers with their coverage, issued
certificates, and revoking one with a reason (its public verification then says revoked).
The console page :mod:`kro.pensions.admin_pages` calls the same :mod:`kro.pensions.oversight`.
Everything here needs an admin token (401/403); each route lists its errors in
``responses=``. Included by :mod:`.endpoints`."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from kro.identity.dependencies import AdminUser, AppSettings, ClientIp
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.pensions import oversight
from kro.pensions.errors import CertificateNotFound, CertificateRevoked
from kro.pensions.models import PensionCertificate
from kro.pensions.schemas import RevokeIn

router = APIRouter(prefix="/v1/admin/pensions", tags=["admin: pensions"])


class LateOut(BaseModel):
    """A schedule past its deadline; ``penalty`` in kobo: if paid today while unpaid, as
    paid once confirmed."""

    schedule_id: str
    employer_id: str
    employer: str
    period: str
    kind: str
    status: str
    deadline: date
    total: int
    months_late: int
    penalty: int
    paid: bool


class EmployerCoverageOut(BaseModel):
    id: str
    name: str
    rc_number: str
    employer_code: str
    headcount: int
    covered: bool


class AdminCertificateOut(BaseModel):
    id: str
    number: str
    employer_id: str
    employer: str
    valid_until: date
    issued_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None

    @classmethod
    def of(cls, c: PensionCertificate, employer: str) -> AdminCertificateOut:
        return cls(
            id=c.id,
            number=c.number,
            employer_id=c.employer_id,
            employer=employer,
            valid_until=c.valid_until,
            issued_at=c.issued_at,
            revoked_at=c.revoked_at,
            revoke_reason=c.revoke_reason,
        )


@router.get("/late")
async def late_remittances(
    _: AdminUser, session: DbSession, settings: AppSettings
) -> Envelope[list[LateOut]]:
    """Unpaid schedules past their deadline (oldest first), then those paid late."""
    rows = await oversight.late_remittances(session, settings)
    return ok(
        [
            LateOut(
                schedule_id=x.schedule.id,
                employer_id=x.employer.id,
                employer=x.employer.name,
                period=x.schedule.period,
                kind=x.schedule.kind,
                status=x.schedule.status,
                deadline=x.schedule.deadline,
                total=x.schedule.total,
                months_late=x.months,
                penalty=x.penalty,
                paid=x.paid,
            )
            for x in rows
        ]
    )


@router.get("/schedule-counts")
async def schedule_counts(_: AdminUser, session: DbSession) -> Envelope[dict[str, int]]:
    """How many schedules are in each state."""
    return ok(dict(await oversight.schedule_counts(session)))


@router.get("/employers")
async def employers_overview(
    _: AdminUser, session: DbSession, settings: AppSettings
) -> Envelope[list[EmployerCoverageOut]]:
    """Employers (newest first) with their headcount today and whether the PRA covers them."""
    rows = await oversight.employers_overview(session, settings)
    return ok(
        [
            EmployerCoverageOut(
                id=r.employer.id,
                name=r.employer.name,
                rc_number=r.employer.rc_number,
                employer_code=r.employer.employer_code,
                headcount=r.headcount,
                covered=r.covered,
            )
            for r in rows
        ]
    )


@router.get("/certificates")
async def certificates(_: AdminUser, session: DbSession) -> Envelope[list[AdminCertificateOut]]:
    """Issued compliance certificates, newest first."""
    rows = await oversight.certificates(session)
    return ok([AdminCertificateOut.of(c, e.name) for c, e in rows])


@router.post(
    "/certificates/{certificate_id}/revoke",
    responses=error_responses(CertificateNotFound, CertificateRevoked),
)
async def revoke_certificate(
    certificate_id: str, body: RevokeIn, admin: AdminUser, ip: ClientIp, session: DbSession
) -> Envelope[AdminCertificateOut]:
    """Revoke a certificate with a reason (audited; not shown publicly): its verification
    says revoked from now on."""
    c, employer = await oversight.revoke_certificate(
        session, admin, certificate_id, body.reason, ip=ip
    )
    return ok(AdminCertificateOut.of(c, employer.name))
