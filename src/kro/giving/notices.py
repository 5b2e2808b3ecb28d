"""What KROGiving tells people, through :mod:`kro.notifications` (outbox, the same
transaction as the change): the organizer at each step of a withdrawal and of the review,
every donor who opted in (account or not) when the organizer posts an update, every donor
their receipt."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from kro.giving import subscribers
from kro.giving.models import Campaign, CampaignUpdate, Donation, Withdrawal
from kro.giving.monthly.models import MonthlyGift
from kro.notifications.events import EMAIL, EventSpec, register
from kro.notifications.service import notify, notify_address
from kro.settings import Settings

register(
    EventSpec("giving.campaign_reviewed", EMAIL),
    EventSpec("giving.withdrawal_updated", EMAIL),
    EventSpec("giving.update_posted", EMAIL),
    # {"recipient_name", "campaign", "amount", "tip", "currency", "receipt_number", "url"}
    EventSpec("giving.donation_receipt", EMAIL),
    templates=Path(__file__).parent / "notifications",
)


async def campaign_reviewed(session: AsyncSession, campaign: Campaign, reason: str | None) -> None:
    await notify(
        session,
        campaign.organizer_id,
        "giving.campaign_reviewed",
        {
            "title": campaign.title,
            "status": campaign.status,
            "reason": reason or "",
            "campaign_id": campaign.id,
        },
        dedupe_key=f"{campaign.id}:{campaign.status}:{campaign.updated_at.isoformat()}",
    )


async def withdrawal_updated(session: AsyncSession, withdrawal: Withdrawal, event_id: str) -> None:
    await notify(
        session,
        withdrawal.organizer_id,
        "giving.withdrawal_updated",
        {
            "amount": withdrawal.amount,
            "currency": withdrawal.currency,
            "status": withdrawal.status,
            "withdrawal_id": withdrawal.id,
            "note": withdrawal.note or "",
        },
        dedupe_key=event_id,
    )


async def update_posted(
    session: AsyncSession, settings: Settings, campaign: Campaign, update: CampaignUpdate
) -> int:
    """Email the update to every address that opted in (:mod:`.subscribers`), with or
    without an account, once per address per update (the outbox's key: the update's id),
    each with its own signed unsubscribe link. Returns how many were queued."""
    recipients = await subscribers.of_campaign(session, campaign.id)
    for person in recipients:
        await notify_address(
            session,
            person.email,
            "giving.update_posted",
            {
                "recipient_name": person.name,
                "title": campaign.title,
                "update_title": update.title,
                "body": update.body,
                "campaign_id": campaign.id,
                "url": f"{settings.base_url}/giving/campaigns/{campaign.id}",
                "unsubscribe_url": subscribers.unsubscribe_url(settings, campaign.id, person.email),
            },
            dedupe_key=update.id,
        )
    return len(recipients)


async def donation_receipt(session: AsyncSession, donation_id: str, base_url: str) -> None:
    """Thank the donor by email with the receipt's number and a link to the thank-you page
    (where the PDF is), whether or not they have an account: the address they gave is where
    it goes (once per donation). A monthly gift's receipts carry the link to manage it."""
    donation = await session.get(Donation, donation_id)
    if donation is None or donation.receipt_number is None:
        return
    campaign = await session.get(Campaign, donation.campaign_id)
    context = {
        "recipient_name": donation.donor_name,
        "campaign": campaign.title if campaign else "",
        "amount": donation.amount,
        "tip": donation.tip,
        "currency": donation.currency,
        "receipt_number": donation.receipt_number,
        "url": f"{base_url}/giving/donations/{donation.id}?token={donation.access_token}",
        "manage_url": None,
    }
    gift = await session.get(MonthlyGift, donation.monthly_gift_id or "")
    if gift is not None:  # every receipt of a monthly gift says how to change or stop it
        context["manage_url"] = f"{base_url}/giving/monthly/{gift.id}?token={gift.manage_token}"
    await notify_address(
        session, donation.donor_email, "giving.donation_receipt", context, dedupe_key=donation.id
    )
