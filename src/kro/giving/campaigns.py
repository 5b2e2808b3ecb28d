"""Campaign use cases: create and edit (organizer), the lifecycle through :mod:`.states`
(every transition a ``giving_campaign_events`` row), admin review, browse and search, updates,
reports. An organizer sees only their own campaigns through the organizer functions (another
organizer's is CampaignNotFound, 404); the public sees only :data:`states.PUBLIC` ones.
Services only flush.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.giving import money, states
from kro.giving.errors import (
    CampaignNotFound,
    ImageTooLarge,
    NoCoverImage,
    ReasonRequired,
    ReportNotFound,
    UnsupportedImage,
)
from kro.giving.models import Campaign, CampaignEvent, CampaignReport, CampaignUpdate, Donation
from kro.giving.monthly.models import MonthlyGift
from kro.identity.models import User
from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.ids import new_id
from kro.kit.storage import Storage
from kro.settings import Settings

CATEGORIES = ("medical", "education", "emergency", "community", "faith", "business", "other")
REPORT_REASONS = ("fraud", "misleading", "prohibited")
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
IMAGE_MAX_BYTES = 5 * 1024 * 1024
ACTIVE = (states.LIVE, states.PAUSED, states.WAITING_FUNDS, states.SUCCESSFUL, states.ENDED)


@dataclass(frozen=True)
class CampaignDraft:
    """What the organizer writes; ``goal`` in minor units of NGN."""

    title: str
    story: str
    category: str
    goal: int
    funding_model: str = states.KEEP_IT_ALL
    beneficiary_type: str = "myself"
    beneficiary_name: str | None = None
    ends_at: datetime | None = None
    close_at_goal: bool = False
    cover_image_url: str | None = None
    video_url: str | None = None


@dataclass
class Totals:
    """What a campaign page shows: raised (donations only, never tips), donors, progress in
    basis points of the goal, whole days left (None without an end date)."""

    raised: int
    donors: int
    progress_bps: int
    days_left: int | None


def totals(campaign: Campaign) -> Totals:
    progress = min(10_000, campaign.raised * 10_000 // campaign.goal) if campaign.goal else 0
    days = None
    if campaign.ends_at is not None:
        days = max(0, (campaign.ends_at - utcnow()).days)
    return Totals(campaign.raised, campaign.donors, progress, days)


async def create(session: AsyncSession, organizer: User, draft: CampaignDraft) -> Campaign:
    """A new campaign in ``draft``."""
    campaign = Campaign(
        id=new_id("cmp"),
        organizer_id=organizer.id,
        status=states.DRAFT,
        currency="NGN",
        **_values(draft),
    )
    session.add(campaign)
    session.add(
        CampaignEvent(
            campaign_id=campaign.id,
            action="create",
            from_state="new",
            to_state=states.DRAFT,
            actor_id=organizer.id,
            actor_role="organizer",
        )
    )
    await session.flush()
    return campaign


def _values(draft: CampaignDraft) -> dict[str, object]:
    return {f.name: getattr(draft, f.name) for f in fields(draft)}


async def edit(
    session: AsyncSession, organizer: User, campaign_id: str, draft: CampaignDraft
) -> Campaign:
    """Change the story, goal, dates… while ``draft`` or ``rejected`` (a rejected campaign goes
    back to ``draft``), or a live one's words only. Raises CampaignNotFound (404),
    InvalidTransition (409)."""
    campaign = await own(session, organizer, campaign_id, lock=True)
    if campaign.status == states.REJECTED:
        await transition(session, campaign, "edit", organizer, "organizer")
    if campaign.status == states.DRAFT:
        for name, value in _values(draft).items():
            setattr(campaign, name, value)
    elif campaign.status in (states.LIVE, states.PAUSED):
        campaign.title, campaign.story = draft.title, draft.story
        campaign.cover_image_url, campaign.video_url = draft.cover_image_url, draft.video_url
    else:
        states.CAMPAIGN.next(campaign.status, "edit")
    await session.flush()
    return campaign


async def own(
    session: AsyncSession, organizer: User, campaign_id: str, *, lock: bool = False
) -> Campaign:
    """The organizer's campaign; CampaignNotFound (404) for anyone else's."""
    campaign = await session.get(
        Campaign, campaign_id, with_for_update=lock or None, populate_existing=lock
    )
    if campaign is None or campaign.organizer_id != organizer.id:
        raise CampaignNotFound()
    return campaign


async def get_any(session: AsyncSession, campaign_id: str, *, lock: bool = False) -> Campaign:
    """Any campaign (admins, jobs); CampaignNotFound (404)."""
    campaign = await session.get(
        Campaign, campaign_id, with_for_update=lock or None, populate_existing=lock
    )
    if campaign is None:
        raise CampaignNotFound()
    return campaign


async def public(session: AsyncSession, campaign_id: str, viewer: User | None = None) -> Campaign:
    """A campaign anyone may see (its organizer also sees it before it is live)."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound()
    if campaign.status not in states.PUBLIC and (
        viewer is None or viewer.id != campaign.organizer_id
    ):
        raise CampaignNotFound()
    return campaign


async def transition(
    session: AsyncSession,
    campaign: Campaign,
    action: str,
    actor: User | None,
    role: str,
    reason: str | None = None,
) -> None:
    """Apply ``action`` through :data:`states.CAMPAIGN`; record who, when, from, to, why."""
    step = states.CAMPAIGN.next(campaign.status, action)
    campaign.status = step.to_state
    if step.to_state == states.LIVE and campaign.live_at is None:
        campaign.live_at = utcnow()
    if step.to_state in (states.ENDED, states.WAITING_FUNDS, states.CLOSED):
        campaign.ended_at = campaign.ended_at or utcnow()
        await _stop_monthly_gifts(session, campaign)
    session.add(
        CampaignEvent(
            campaign_id=campaign.id,
            action=action,
            from_state=step.from_state,
            to_state=step.to_state,
            actor_id=actor.id if actor else None,
            actor_role=role,
            reason=reason,
        )
    )
    await session.flush()


async def _stop_monthly_gifts(session: AsyncSession, campaign: Campaign) -> None:
    """An ended or closed campaign takes no more months: each monthly gift's subscription is
    disabled by the job ``giving.cancel_monthly`` (it asks the provider)."""
    gifts = select(MonthlyGift.id).where(
        MonthlyGift.campaign_id == campaign.id, MonthlyGift.status.in_(("pending", "active"))
    )
    for gift_id in await session.scalars(gifts):
        await enqueue(session, "giving.cancel_monthly", {"gift_id": gift_id}, dedupe_key=gift_id)


async def organizer_act(
    session: AsyncSession, organizer: User, campaign_id: str, action: str
) -> Campaign:
    """``submit`` for review, ``pause``, ``resume``, ``close``. Raises CampaignNotFound (404),
    InvalidTransition (409)."""
    campaign = await own(session, organizer, campaign_id, lock=True)
    if action not in states.ORGANIZER_ACTIONS:
        states.CAMPAIGN.next(campaign.status, f"{action}!")  # 409 with the allowed actions
    await transition(session, campaign, action, organizer, "organizer")
    return campaign


async def admin_act(
    session: AsyncSession,
    admin: User,
    campaign_id: str,
    action: str,
    reason: str | None,
    ip: str | None,
) -> Campaign:
    """``approve``, ``reject`` (a reason needed), ``pause`` (suspend: no more donations),
    ``resume``, ``close``; audit-logged. Raises CampaignNotFound, ReasonRequired (422),
    InvalidTransition (409)."""
    campaign = await get_any(session, campaign_id, lock=True)
    if action in ("reject", "pause") and not (reason or "").strip():
        raise ReasonRequired(details={"field": "reason"})
    if action not in states.ADMIN_ACTIONS:
        states.CAMPAIGN.next(campaign.status, f"{action}!")
    await transition(session, campaign, action, admin, "admin", reason)
    if action == "reject":
        campaign.review_note = reason
    await audit.record(
        session,
        actor_id=admin.id,
        action=f"giving.campaign.{action}",
        target_type="giving_campaign",
        target_id=campaign.id,
        ip=ip,
        details={"reason": reason},
    )
    return campaign


async def set_hold(
    session: AsyncSession, admin: User, campaign_id: str, reason: str | None, ip: str | None
) -> Campaign:
    """Hold the campaign's withdrawals with ``reason`` (what the organizer must fix), or lift
    the hold (``reason`` None); audit-logged."""
    campaign = await get_any(session, campaign_id, lock=True)
    campaign.hold_reason = (reason or "").strip() or None
    await audit.record(
        session,
        actor_id=admin.id,
        action="giving.hold.place" if campaign.hold_reason else "giving.hold.lift",
        target_type="giving_campaign",
        target_id=campaign.id,
        ip=ip,
        details={"reason": campaign.hold_reason},
    )
    await session.flush()
    return campaign


async def set_featured(
    session: AsyncSession, admin: User, campaign_id: str, featured: bool, ip: str | None = None
) -> Campaign:
    """Mark or unmark a campaign as featured (browse shows featured ones first, in a strip);
    audit-logged. Raises CampaignNotFound (404)."""
    campaign = await get_any(session, campaign_id, lock=True)
    campaign.featured = featured
    await audit.record(
        session,
        actor_id=admin.id,
        action="giving.feature" if featured else "giving.unfeature",
        target_type="giving_campaign",
        target_id=campaign.id,
        ip=ip,
    )
    await session.flush()
    return campaign


async def admin_list(
    session: AsyncSession, view: str = "active", limit: int = 200
) -> list[Campaign]:
    """Campaigns for the admins' campaigns page, newest first: ``held`` (withdrawals on
    hold), ``featured``, or ``active`` (those an admin may hold or feature: live, paused,
    waiting for funds, successful or ended)."""
    stmt = select(Campaign)
    if view == "held":
        stmt = stmt.where(Campaign.hold_reason.is_not(None))
    elif view == "featured":
        stmt = stmt.where(Campaign.featured.is_(True))
    else:
        stmt = stmt.where(Campaign.status.in_(ACTIVE))
    return list((await session.execute(stmt.order_by(Campaign.id.desc()).limit(limit))).scalars())


async def mine(session: AsyncSession, organizer: User) -> list[Campaign]:
    stmt = select(Campaign).where(Campaign.organizer_id == organizer.id)
    return list((await session.execute(stmt.order_by(Campaign.id.desc()))).scalars())


async def browse(
    session: AsyncSession,
    *,
    q: str | None = None,
    category: str | None = None,
    sort: str = "newest",
    limit: int = 24,
    featured_only: bool = False,
) -> list[Campaign]:
    """Live campaigns by ``category`` and words of ``q`` in the title or story (only those
    an admin featured if ``featured_only``); ``sort``: ``newest``, ``trending`` (most raised
    in the last 7 days), ``featured`` (featured first)."""
    stmt = select(Campaign).where(Campaign.status == states.LIVE)
    if featured_only:
        stmt = stmt.where(Campaign.featured.is_(True))
    if category:
        stmt = stmt.where(Campaign.category == category)
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(Campaign.title).like(like), func.lower(Campaign.story).like(like))
        )
    if sort == "trending":
        since = utcnow() - timedelta(days=7)
        recent = (
            select(Donation.campaign_id, func.sum(Donation.amount).label("recent"))
            .where(Donation.status == "paid", Donation.paid_at >= since)
            .group_by(Donation.campaign_id)
            .subquery()
        )
        stmt = stmt.outerjoin(recent, recent.c.campaign_id == Campaign.id).order_by(
            func.coalesce(recent.c.recent, 0).desc(), Campaign.id.desc()
        )
    elif sort == "featured":
        stmt = stmt.order_by(Campaign.featured.desc(), Campaign.id.desc())
    else:
        stmt = stmt.order_by(Campaign.id.desc())
    return list((await session.execute(stmt.limit(limit))).scalars())


async def review_queue(session: AsyncSession) -> list[Campaign]:
    stmt = select(Campaign).where(Campaign.status == states.IN_REVIEW).order_by(Campaign.id)
    return list((await session.execute(stmt)).scalars())


async def post_update(
    session: AsyncSession,
    settings: Settings,
    organizer: User,
    campaign_id: str,
    title: str,
    body: str,
) -> CampaignUpdate:
    """News on a campaign; every donor who opted in is emailed once, account or not
    (:func:`.notices.update_posted`). Raises CampaignNotFound (404)."""
    from kro.giving import notices

    campaign = await own(session, organizer, campaign_id)
    update = CampaignUpdate(id=new_id("gup"), campaign_id=campaign.id, title=title, body=body)
    session.add(update)
    await session.flush()
    await notices.update_posted(session, settings, campaign, update)
    return update


async def updates(session: AsyncSession, campaign_id: str) -> list[CampaignUpdate]:
    stmt = select(CampaignUpdate).where(CampaignUpdate.campaign_id == campaign_id)
    return list((await session.execute(stmt.order_by(CampaignUpdate.id.desc()))).scalars())


async def report(
    session: AsyncSession, campaign_id: str, reason: str, details: str | None, email: str | None
) -> CampaignReport:
    """Anyone reports a public campaign; it waits in the review queue."""
    campaign = await public(session, campaign_id)
    row = CampaignReport(
        id=new_id("grp"),
        campaign_id=campaign.id,
        reason=reason,
        details=details,
        reporter_email=email,
    )
    session.add(row)
    await session.flush()
    return row


async def open_reports(session: AsyncSession) -> list[CampaignReport]:
    stmt = select(CampaignReport).where(CampaignReport.status == "open")
    return list((await session.execute(stmt.order_by(CampaignReport.id))).scalars())


async def resolve_report(
    session: AsyncSession, admin: User, report_id: str, outcome: str, ip: str | None
) -> CampaignReport:
    """``dismissed`` or ``actioned`` (the admin paused or held the campaign separately)."""
    row = await session.get(CampaignReport, report_id, with_for_update=True)
    if row is None:
        raise ReportNotFound()
    row.status, row.resolved_by = outcome, admin.id
    await audit.record(
        session,
        actor_id=admin.id,
        action=f"giving.report.{outcome}",
        target_type="giving_report",
        target_id=row.id,
        ip=ip,
    )
    await session.flush()
    return row


async def balance(session: AsyncSession, campaign: Campaign) -> int:
    """What the organizer may withdraw now, minor units."""
    return await money.available(session, campaign)


async def set_cover(
    session: AsyncSession,
    storage: Storage,
    organizer: User,
    campaign_id: str,
    data: bytes,
    content_type: str,
) -> Campaign:
    """Store the campaign's cover image (PNG, JPEG or WebP, at most 5 MB) through the file
    storage; it is shown on the page and as its Open Graph image. Raises CampaignNotFound
    (404), UnsupportedImage (415), ImageTooLarge (413)."""
    campaign = await own(session, organizer, campaign_id, lock=True)
    if content_type not in IMAGE_TYPES:
        raise UnsupportedImage(details={"field": "file"})
    if len(data) > IMAGE_MAX_BYTES:
        raise ImageTooLarge(details={"field": "file", "max_bytes": IMAGE_MAX_BYTES})
    key = f"giving/campaigns/{campaign.id}/cover-{new_id('img')}"
    await storage.put(key, data, content_type)
    campaign.cover_image_key, campaign.cover_image_type = key, content_type
    await session.flush()
    return campaign


async def cover(
    session: AsyncSession, storage: Storage, campaign_id: str, viewer: User | None = None
) -> tuple[bytes, str]:
    """A visible campaign's cover image and its type; NoCoverImage (404) without one."""
    campaign = await public(session, campaign_id, viewer)
    if campaign.cover_image_key is None or campaign.cover_image_type is None:
        raise NoCoverImage()
    return await storage.get(campaign.cover_image_key), campaign.cover_image_type
