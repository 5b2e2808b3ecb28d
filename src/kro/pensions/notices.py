"""Who hears about a schedule: the employer's team, by email and SMS through
:mod:`kro.notifications` (outbox; dedupe keys make each notice unique)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.notifications.events import EMAIL_SMS, EventSpec, register
from kro.notifications.service import notify
from kro.pensions.models import PensionEmployer, PensionMember, PensionSchedule

register(
    EventSpec("pensions.deadline_reminder", EMAIL_SMS),
    EventSpec("pensions.schedule_confirmed", EMAIL_SMS),
    EventSpec("pensions.gli_attention", EMAIL_SMS),
    templates=Path(__file__).parent / "notifications",
)


async def _team(session: AsyncSession, employer_id: str) -> list[str]:
    rows = await session.scalars(
        select(PensionMember.user_id).where(
            PensionMember.employer_id == employer_id, PensionMember.role != "viewer"
        )
    )
    return list(rows)


async def _tell(session: AsyncSession, schedule: PensionSchedule, event: str) -> None:
    employer = await session.get(PensionEmployer, schedule.employer_id)
    context = {
        "employer": employer.name if employer else "",
        "period": schedule.period,
        "deadline": schedule.deadline.isoformat(),
        "total": schedule.total,
        "penalty": schedule.penalty,
        "rrr": schedule.rrr or "",
        "currency": "NGN",
    }
    for user_id in await _team(session, schedule.employer_id):
        await notify(session, user_id, event, context, dedupe_key=f"{schedule.id}:{event}")


async def deadline_reminder(session: AsyncSession, schedule: PensionSchedule) -> None:
    """The remittance deadline is near and the schedule is not paid yet."""
    await _tell(session, schedule, "pensions.deadline_reminder")


async def schedule_confirmed(session: AsyncSession, schedule_id: str) -> None:
    """Remita confirmed the remittance."""
    schedule = await session.get(PensionSchedule, schedule_id)
    if schedule is not None:
        await _tell(session, schedule, "pensions.schedule_confirmed")


async def gli_attention(session: AsyncSession, employer_id: str, key: str, what: str) -> None:
    """The employer's Group Life Insurance needs attention (expiry, shortfall, none)."""
    employer = await session.get(PensionEmployer, employer_id)
    context = {"employer": employer.name if employer else "", "what": what}
    for user_id in await _team(session, employer_id):
        await notify(session, user_id, "pensions.gli_attention", context, dedupe_key=key)
