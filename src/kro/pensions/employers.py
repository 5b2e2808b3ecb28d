"""Employers and their teams; who may do what (scoping every query by the caller).

Roles: ``hr_officer`` maintains employees and prepares schedules; ``finance_approver`` approves
and pays; ``viewer`` reads. The registrant is the team's owner (HR officer by default) and
adds members. Every change is audited (who, when, from where, before and after).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit.service import record
from kro.identity.models import User
from kro.pensions.errors import EmployerNotFound, MemberExists, RoleRequired, UserNotFound
from kro.pensions.models import PensionEmployee, PensionEmployer, PensionMember
from kro.settings import Settings

HR = "hr_officer"
FINANCE = "finance_approver"
VIEWER = "viewer"
ROLES = (HR, FINANCE, VIEWER)


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where (the audit log's ``ip``)."""

    user: User
    ip: str | None = None

    @property
    def id(self) -> str:
        return self.user.id


@dataclass(frozen=True)
class Access:
    """An employer as one member of its team sees it, and that member acting (``user``, from
    ``ip``): what the services take, so every query is scoped to ``employer``. Built by
    :func:`access` (the request dependencies of :mod:`kro.pensions.dependencies`)."""

    employer: PensionEmployer
    member: PensionMember
    user: User
    ip: str | None = None

    @property
    def role(self) -> str:
        return self.member.role

    @property
    def actor(self) -> Actor:
        return Actor(self.user, self.ip)

    def can(self, *roles: str, owner: bool = False) -> bool:
        """Whether the member has one of ``roles`` (any role when none is given) or, with
        ``owner``, owns the team. The owner may act in every role (a small employer's one
        person); maker-checker still keeps them from approving what they prepared."""
        member = self.member
        if owner:
            return member.owner
        return not roles or member.role in roles or member.owner

    def require(self, *roles: str, owner: bool = False) -> None:
        """RoleRequired (403) unless :meth:`can`."""
        if not self.can(*roles, owner=owner):
            needed = ["owner"] if owner else list(roles)
            raise RoleRequired(details={"role": self.member.role, "needed": needed})


async def audit(
    session: AsyncSession,
    actor: Actor | None,
    action: str,
    target_type: str,
    target_id: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """One audit entry for a pensions change (``pensions.<action>``)."""
    await record(
        session,
        actor_id=actor.id if actor else None,
        action=f"pensions.{action}",
        target_type=target_type,
        target_id=target_id,
        ip=actor.ip if actor else None,
        details={"before": before, "after": after},
    )


def snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """A row's ``fields`` as JSON-safe values (dates as ISO text)."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(row, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


EMPLOYER_FIELDS = (
    "name",
    "rc_number",
    "tin",
    "address",
    "state",
    "sector",
    "employer_code",
    "salary_day",
    "incorporated_on",
)


async def register(session: AsyncSession, actor: Actor, fields: dict[str, Any]) -> Access:
    """Register an employer; the caller becomes its owner and HR officer."""
    employer = PensionEmployer(created_by=actor.id, **fields)
    session.add(employer)
    await session.flush()
    member = PensionMember(employer_id=employer.id, user_id=actor.id, role=HR, owner=True)
    session.add(member)
    await session.flush()
    await audit(
        session,
        actor,
        "employer.registered",
        "pension_employer",
        employer.id,
        after=snapshot(employer, EMPLOYER_FIELDS),
    )
    return Access(employer, member, actor.user, actor.ip)


async def access(
    session: AsyncSession,
    user: User,
    employer_id: str,
    *roles: str,
    owner: bool = False,
    ip: str | None = None,
) -> Access:
    """The employer if ``user`` is on its team (else EmployerNotFound, 404: another employer's
    data is never confirmed to exist); with ``roles`` or ``owner``, see :meth:`Access.require`."""
    member = await session.scalar(
        select(PensionMember).where(
            PensionMember.employer_id == employer_id, PensionMember.user_id == user.id
        )
    )
    employer = await session.get(PensionEmployer, employer_id) if member else None
    if member is None or employer is None:
        raise EmployerNotFound()
    found = Access(employer, member, user, ip)
    found.require(*roles, owner=owner)
    return found


async def list_for(session: AsyncSession, user: User) -> list[Access]:
    """Every employer whose team ``user`` is on."""
    rows = await session.execute(
        select(PensionEmployer, PensionMember)
        .join(PensionMember, PensionMember.employer_id == PensionEmployer.id)
        .where(PensionMember.user_id == user.id)
        .order_by(PensionEmployer.created_at)
    )
    return [Access(e, m, user) for e, m in rows.all()]


async def update(session: AsyncSession, found: Access, fields: dict[str, Any]) -> Access:
    """Change the employer's details (the owner: see the dependencies)."""
    actor, employer_id = found.actor, found.employer.id
    before = snapshot(found.employer, EMPLOYER_FIELDS)
    for name, value in fields.items():
        if name in EMPLOYER_FIELDS and value is not None:
            setattr(found.employer, name, value)
    await session.flush()
    after = snapshot(found.employer, EMPLOYER_FIELDS)
    await audit(
        session,
        actor,
        "employer.updated",
        "pension_employer",
        employer_id,
        before=before,
        after=after,
    )
    return found


async def add_member(session: AsyncSession, found: Access, email: str, role: str) -> PensionMember:
    """Add a registered user to the team (the owner). UserNotFound (422), MemberExists (409)."""
    actor, employer_id = found.actor, found.employer.id
    user = await session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        raise UserNotFound()
    taken = await session.scalar(
        select(PensionMember).where(
            PensionMember.employer_id == employer_id, PensionMember.user_id == user.id
        )
    )
    if taken is not None:
        raise MemberExists()
    member = PensionMember(employer_id=employer_id, user_id=user.id, role=role)
    session.add(member)
    await session.flush()
    await audit(
        session,
        actor,
        "member.added",
        "pension_employer",
        employer_id,
        after={"user_id": user.id, "email": user.email, "role": role},
    )
    return member


async def members(session: AsyncSession, found: Access) -> list[tuple[PensionMember, User]]:
    """The team, with each member's user."""
    rows = await session.execute(
        select(PensionMember, User)
        .join(User, User.id == PensionMember.user_id)
        .where(PensionMember.employer_id == found.employer.id)
        .order_by(PensionMember.created_at)
    )
    return [(m, u) for m, u in rows.all()]


async def headcount(session: AsyncSession, employer_id: str, on: date) -> int:
    """Employees in service on ``on`` (hired, not yet left)."""
    count = await session.scalar(
        select(func.count())
        .select_from(PensionEmployee)
        .where(
            PensionEmployee.employer_id == employer_id,
            PensionEmployee.hire_date <= on,
            (PensionEmployee.exit_date.is_(None)) | (PensionEmployee.exit_date >= on),
        )
    )
    return int(count or 0)


def covered(settings: Settings, count: int) -> bool:
    """PRA 2014: employers with ``KRO_PENSIONS_COVERAGE_THRESHOLD`` (3) employees or more."""
    return count >= settings.pensions_coverage_threshold
