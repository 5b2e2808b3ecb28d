"""Who hears of a campaign's updates: every address that gave with "keep me posted" ticked,
account or not, once per address, less those that left through the link in an update email.

The link carries a signed token (itsdangerous, the web secret, its own salt) naming the
campaign and the address, so no account or sign-in is needed, and it does not expire (an
old email's link must still work). Following it shows a button; only the POST records the
opt-out, so a mail scanner that fetches links unsubscribes nobody. A later gift with the box
ticked subscribes the address again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.giving import campaigns
from kro.giving.errors import UnsubscribeLinkInvalid
from kro.giving.models import Campaign, Donation, UpdateOptOut
from kro.kit.clock import utcnow
from kro.settings import Settings

SALT = "kro.giving.updates.unsubscribe"


@dataclass(frozen=True)
class Subscriber:
    """An address to email (lower-cased) and the name its latest gift gave."""

    email: str
    name: str


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.web_secret, salt=SALT)


def unsubscribe_token(settings: Settings, campaign_id: str, email: str) -> str:
    return _serializer(settings).dumps({"c": campaign_id, "e": email.strip().lower()})


def unsubscribe_url(settings: Settings, campaign_id: str, email: str) -> str:
    token = unsubscribe_token(settings, campaign_id, email)
    return f"{settings.base_url}/giving/updates/unsubscribe?token={token}"


async def read_token(session: AsyncSession, settings: Settings, token: str) -> tuple[Campaign, str]:
    """The campaign and address a link names; UnsubscribeLinkInvalid (404) for a token that
    is not ours, and CampaignNotFound (404) for a campaign gone."""
    try:
        data = _serializer(settings).loads(token)
        campaign_id, email = str(data["c"]), str(data["e"])
    except (BadSignature, KeyError, TypeError):
        raise UnsubscribeLinkInvalid() from None
    return await campaigns.get_any(session, campaign_id), email


async def unsubscribe(
    session: AsyncSession, settings: Settings, token: str
) -> tuple[Campaign, str]:
    """Record that the link's address wants no more of the campaign's updates (idempotent)."""
    campaign, email = await read_token(session, settings, token)
    stmt = select(UpdateOptOut).where(
        UpdateOptOut.campaign_id == campaign.id, UpdateOptOut.email == email
    )
    row = (await session.execute(stmt.with_for_update())).scalar_one_or_none()
    if row is None:
        session.add(UpdateOptOut(campaign_id=campaign.id, email=email))
    else:  # again after giving again: the newest wish counts
        row.created_at = utcnow()
    await session.flush()
    return campaign, email


async def of_campaign(session: AsyncSession, campaign_id: str) -> list[Subscriber]:
    """Each address (once) whose latest opted-in paid gift is newer than its opt-out."""
    gifts = select(Donation.donor_email, Donation.donor_name, Donation.created_at).where(
        Donation.campaign_id == campaign_id,
        Donation.status == "paid",
        Donation.opt_in.is_(True),
    )
    latest: dict[str, tuple[str, datetime]] = {}
    for email, name, created_at in (await session.execute(gifts.order_by(Donation.id))).all():
        latest[email.strip().lower()] = (name, created_at)
    left = select(UpdateOptOut.email, UpdateOptOut.created_at).where(
        UpdateOptOut.campaign_id == campaign_id
    )
    opted_out = {email: at for email, at in (await session.execute(left)).all()}
    return [
        Subscriber(email, name)
        for email, (name, given_at) in sorted(latest.items())
        if email not in opted_out or given_at > opted_out[email]
    ]
