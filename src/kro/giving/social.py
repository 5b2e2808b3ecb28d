"""The campaign page's social preview: a 1200 × 630 PNG (the Open Graph size) made from the
cover image, the title and the progress, through Typst (``documents/social.typ``, rendered
by :func:`kro.documents.render_png`: the platform's one document tool, no image library).

Served at the stable URL ``/v1/giving/campaigns/{id}/social.png``. The PNG is cached in the
file storage under a key named by a fingerprint of what it shows (title, totals, goal,
cover): a new gift or a new cover makes a new one on the first request after it, otherwise
the stored bytes are served, and no database row is written to serve an image. The
fingerprint is also the response's ETag. (Superseded PNGs stay in the storage; a storage
lifecycle rule on ``giving/campaigns/*/social-*`` may expire them.)"""

from __future__ import annotations

import asyncio
import hashlib

from sqlalchemy.ext.asyncio import AsyncSession

from kro import documents
from kro.giving import campaigns
from kro.giving.models import Campaign
from kro.kit.storage import Storage, StorageError
from kro.web.formatting import money

TEMPLATE = "giving/social.typ"
WIDTH, HEIGHT = 1200, 630


def fingerprint(campaign: Campaign) -> str:
    """What the image shows, hashed: it changes when the picture would."""
    shown = "|".join(
        str(v)
        for v in (
            campaign.title,
            campaign.raised,
            campaign.goal,
            campaign.donors,
            campaign.currency,
            campaign.cover_image_key,
        )
    )
    return hashlib.sha256(shown.encode()).hexdigest()[:32]


def _data(campaign: Campaign, cover: bytes | None) -> dict[str, object]:
    totals = campaigns.totals(campaign)
    return {
        "title": campaign.title,
        "raised": money(totals.raised, campaign.currency),
        "goal": money(campaign.goal, campaign.currency),
        "progress": totals.progress_bps // 100,
        "donors": f"{totals.donors} donor{'' if totals.donors == 1 else 's'}",
        # Typst reads image bytes from JSON as an array of integers.
        "cover": list(cover) if cover is not None else None,
    }


def _render(campaign: Campaign, cover: bytes | None) -> bytes:
    """The PNG; a cover Typst cannot read (its type was only declared) is left out."""
    try:
        return documents.render_png(TEMPLATE, _data(campaign, cover))
    except documents.DocumentError:
        if cover is None:
            raise
        return documents.render_png(TEMPLATE, _data(campaign, None))


async def preview(session: AsyncSession, storage: Storage, campaign_id: str) -> tuple[bytes, str]:
    """The PNG and its fingerprint for a public campaign; CampaignNotFound (404) otherwise.
    Renders (in a worker thread) and stores one only when none is stored for the
    fingerprint."""
    campaign = await campaigns.public(session, campaign_id)
    version = fingerprint(campaign)
    key = f"giving/campaigns/{campaign.id}/social-{version}.png"
    try:
        return await storage.get(key), version
    except StorageError:
        pass  # not made yet for what the campaign shows now
    cover = None
    if campaign.cover_image_key:
        cover = await storage.get(campaign.cover_image_key)
    png = await asyncio.to_thread(_render, campaign, cover)
    await storage.put(key, png, "image/png")
    return png, version
