"""Monthly gifts after the first checkout (which :func:`kro.giving.donations.donate` opens):

- :func:`renewal_donation`: a month's charge, confirmed by the payments core
  (``giving.payment_completed`` naming the gift), becomes a donation of its own — same donor,
  amounts and flags — booked and receipted like any other
  (:func:`kro.giving.donations.completed`).
- :func:`for_donor`, :func:`cancel`, :func:`change_amount`: the donor manages the gift from
  the link in every receipt email, opened by its ``manage_token`` (no account needed; without
  it, or with another gift's, MonthlyGiftNotFound 404).
- :func:`cancel_for_campaign`: an ended campaign takes no more months.

Provider calls (through :mod:`kro.payments.subscriptions.service`) are made before the gift
is locked and written. Services only flush.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.giving import donations
from kro.giving.models import Campaign, Donation
from kro.giving.monthly.errors import MonthlyGiftCancelled, MonthlyGiftNotFound
from kro.giving.monthly.models import MonthlyGift
from kro.kit.clock import utcnow
from kro.payments.subscriptions import service as subscriptions
from kro.settings import Settings

PREFIX = "gmon_"
"""Ids of monthly gifts: what a renewal payment's ``purpose_id`` starts with."""


@dataclass(frozen=True)
class GiftView:
    """A monthly gift as its donor sees it: the gift, its campaign's title, and its
    donations (newest first)."""

    gift: MonthlyGift
    campaign_title: str
    donations: list[Donation]


async def for_donor(session: AsyncSession, gift_id: str, token: str | None) -> MonthlyGift:
    """The gift its ``manage_token`` opens; MonthlyGiftNotFound (404) otherwise."""
    gift = await session.get(MonthlyGift, gift_id)
    if gift is None or not token or not secrets.compare_digest(gift.manage_token, token):
        raise MonthlyGiftNotFound()
    return gift


async def view(session: AsyncSession, gift_id: str, token: str | None) -> GiftView:
    """What the manage page shows; MonthlyGiftNotFound (404) without the right token."""
    gift = await for_donor(session, gift_id, token)
    campaign = await session.get(Campaign, gift.campaign_id)
    stmt = select(Donation).where(Donation.monthly_gift_id == gift.id).order_by(Donation.id.desc())
    return GiftView(
        gift, campaign.title if campaign else "", list((await session.scalars(stmt)).all())
    )


async def renewal_donation(session: AsyncSession, payment_id: str, gift_id: str) -> str | None:
    """The donation of a month's charge ``payment_id`` of gift ``gift_id``: created
    (``pending``) the first time, the same one after; None for no such gift. A charge taken
    after the donor cancelled is still booked (the money arrived) — and refunded by an admin
    if the donor asks."""
    gift = await session.get(MonthlyGift, gift_id, with_for_update=True)
    if gift is None:
        return None
    existing = await session.scalar(select(Donation.id).where(Donation.payment_id == payment_id))
    if existing is not None:
        return existing
    donation = Donation(
        campaign_id=gift.campaign_id,
        donor_email=gift.donor_email,
        donor_name=gift.donor_name,
        donor_user_id=gift.donor_user_id,
        amount=gift.amount,
        tip=gift.tip,
        cover=gift.cover,
        total=gift.total,
        currency=gift.currency,
        anonymous=gift.anonymous,
        hide_amount=gift.hide_amount,
        opt_in=gift.opt_in,
        status="pending",
        payment_id=payment_id,
        monthly_gift_id=gift.id,
        access_token=secrets.token_urlsafe(24),
    )
    session.add(donation)
    await session.flush()
    return donation.id


async def cancel(
    session: AsyncSession, settings: Settings, gift_id: str, token: str | None
) -> MonthlyGift:
    """No more months: the subscription is disabled at the provider, the gift ``cancelled``.
    Cancelling twice changes nothing. Raises MonthlyGiftNotFound (404) and the provider's
    errors (nothing changes then)."""
    gift = await for_donor(session, gift_id, token)
    return await _cancel(session, settings, gift)


async def _cancel(session: AsyncSession, settings: Settings, gift: MonthlyGift) -> MonthlyGift:
    if gift.status == "cancelled":
        return gift
    await subscriptions.cancel(session, settings, gift.subscription_id)
    locked = await session.get(MonthlyGift, gift.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    locked.status, locked.cancelled_at = "cancelled", utcnow()
    await session.flush()
    return locked


async def cancel_for_campaign(session: AsyncSession, settings: Settings, gift_id: str) -> None:
    """Job ``giving.cancel_monthly``: the campaign ended, the gift takes no more months."""
    gift = await session.get(MonthlyGift, gift_id)
    if gift is not None:
        await _cancel(session, settings, gift)


async def change_amount(
    session: AsyncSession, settings: Settings, gift_id: str, token: str | None, amount: int
) -> MonthlyGift:
    """From the next month on, give ``amount`` minor units (the tip keeps its default share
    of the new amount unless there was none; the fee cover is recomputed). Raises
    MonthlyGiftNotFound (404), MonthlyGiftCancelled (409), DonationBelowMinimum (422),
    RecurringUnavailable (422, the first month is not paid yet) and the provider's errors
    (nothing changes then)."""
    gift = await for_donor(session, gift_id, token)
    if gift.status == "cancelled":
        raise MonthlyGiftCancelled()
    tip = None if gift.tip else 0
    charge = donations.quote(settings, amount, tip, gift.cover_fees)
    campaign = await session.get(Campaign, gift.campaign_id)
    title = campaign.title if campaign else gift.campaign_id
    await subscriptions.change_amount(
        session, settings, gift.subscription_id, charge.total, f"KRO Giving monthly: {title}"
    )
    locked = await session.get(MonthlyGift, gift.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    locked.amount, locked.tip, locked.cover, locked.total = (
        charge.amount,
        charge.tip,
        charge.cover,
        charge.total,
    )
    await session.flush()
    return locked
