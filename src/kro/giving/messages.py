"""Words of support: the message a donor leaves with a gift, shown on the campaign page and
its donor wall. Anyone may flag one (it waits in the admins' queue, still shown); the
campaign's organizer or an admin may hide one with a reason; an admin may keep a flagged one.
Every step is a ``giving_message_events`` row (who, when, why); admin steps are also
audit-logged. Services only flush."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.giving import campaigns
from kro.giving.errors import MessageNotFound, ReasonRequired
from kro.giving.models import Donation, MessageEvent
from kro.identity.models import User

SHOWN, FLAGGED, HIDDEN = "shown", "flagged", "hidden"
ON_THE_WALL = ("paid",)


async def _message(
    session: AsyncSession, campaign_id: str, donation_id: str, *, lock: bool = True
) -> Donation:
    """A paid gift of ``campaign_id`` that carries a message; MessageNotFound (404)."""
    donation = await session.get(
        Donation, donation_id, with_for_update=lock or None, populate_existing=lock
    )
    if (
        donation is None
        or donation.campaign_id != campaign_id
        or donation.status not in ON_THE_WALL
        or not donation.message
    ):
        raise MessageNotFound()
    return donation


def _event(
    donation: Donation, action: str, actor: User | None, role: str, reason: str | None
) -> MessageEvent:
    return MessageEvent(
        donation_id=donation.id,
        action=action,
        actor_id=actor.id if actor else None,
        actor_role=role,
        reason=reason,
    )


async def flag(session: AsyncSession, campaign_id: str, donation_id: str, reason: str) -> Donation:
    """Anyone flags words of support on a public campaign; a shown one becomes ``flagged``
    (still shown) and waits for an admin. A hidden one cannot be flagged (404)."""
    await campaigns.public(session, campaign_id)
    donation = await _message(session, campaign_id, donation_id)
    if donation.message_status == HIDDEN:
        raise MessageNotFound()
    donation.message_status = FLAGGED
    session.add(_event(donation, "flag", None, "public", reason))
    await session.flush()
    return donation


async def hide_as_organizer(
    session: AsyncSession, organizer: User, campaign_id: str, donation_id: str, reason: str
) -> Donation:
    """The organizer hides words of support on their own campaign (another organizer's is
    CampaignNotFound, 404). The gift stays on the wall; its message does not."""
    await campaigns.own(session, organizer, campaign_id)
    return await _hide(session, campaign_id, donation_id, organizer, "organizer", reason)


async def _hide(
    session: AsyncSession,
    campaign_id: str,
    donation_id: str,
    actor: User,
    role: str,
    reason: str | None,
) -> Donation:
    if not (reason or "").strip():
        raise ReasonRequired(details={"field": "reason"})
    donation = await _message(session, campaign_id, donation_id)
    donation.message_status = HIDDEN
    session.add(_event(donation, "hide", actor, role, reason))
    await session.flush()
    return donation


async def decide(
    session: AsyncSession,
    admin: User,
    donation_id: str,
    action: str,
    reason: str | None,
    ip: str | None,
) -> Donation:
    """An admin ``hide``s (a reason needed: ReasonRequired, 422) or ``keep``s (the flags are
    cleared, it stays shown) words of support; audit-logged. MessageNotFound (404)."""
    found = await session.get(Donation, donation_id)
    if found is None:
        raise MessageNotFound()
    if action == "hide":
        donation = await _hide(session, found.campaign_id, donation_id, admin, "admin", reason)
    else:
        donation = await _message(session, found.campaign_id, donation_id)
        donation.message_status = SHOWN
        session.add(_event(donation, "keep", admin, "admin", reason))
    await audit.record(
        session,
        actor_id=admin.id,
        action=f"giving.message.{action}",
        target_type="giving_donation",
        target_id=donation.id,
        ip=ip,
        details={"reason": reason},
    )
    await session.flush()
    return donation


async def flagged(session: AsyncSession) -> list[tuple[Donation, int]]:
    """Flagged words of support, oldest first, each with its number of flags since an admin
    last kept it."""
    kept = (
        select(MessageEvent.donation_id, func.max(MessageEvent.created_at).label("at"))
        .where(MessageEvent.action == "keep")
        .group_by(MessageEvent.donation_id)
        .subquery()
    )
    flags = (
        select(MessageEvent.donation_id, func.count().label("n"))
        .outerjoin(kept, kept.c.donation_id == MessageEvent.donation_id)
        .where(
            MessageEvent.action == "flag",
            or_(kept.c.at.is_(None), MessageEvent.created_at > kept.c.at),
        )
        .group_by(MessageEvent.donation_id)
        .subquery()
    )
    stmt = (
        select(Donation, func.coalesce(flags.c.n, 0))
        .outerjoin(flags, flags.c.donation_id == Donation.id)
        .where(Donation.message_status == FLAGGED)
        .order_by(Donation.id)
    )
    return [(d, int(n)) for d, n in (await session.execute(stmt)).all()]
