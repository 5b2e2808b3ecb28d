"""Seller profiles and levels.

A seller's **level** follows Fiverr's idea (completed orders, rating, on-time delivery),
with our thresholds: ``new``; ``level_one`` from 5 completed orders with a rating of at
least 4.5 and 90 % delivered on time; ``level_two`` from 20 such orders; ``top_rated`` from
50 orders with 4.8 and 95 %. Computed from the orders and published reviews, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.marketplace import states
from kro.marketplace.errors import ServiceNotFound
from kro.marketplace.models import Order, Review, SellerProfile
from kro.settings import Settings

# (level, completed orders, rating at least, on-time share at least), best first.
LEVELS = (
    ("top_rated", 50, 4.8, 0.95),
    ("level_two", 20, 4.5, 0.90),
    ("level_one", 5, 4.5, 0.90),
)


@dataclass(frozen=True)
class ProfileSpec:
    display_name: str
    headline: str = ""
    bio: str = ""
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    country: str = "NG"
    state: str = ""


@dataclass(frozen=True)
class SellerStats:
    completed: int
    rating: float | None
    reviews: int
    on_time: float | None
    level: str


async def save_profile(session: AsyncSession, user_id: str, spec: ProfileSpec) -> SellerProfile:
    """Create or replace the caller's seller profile."""
    profile = await session.get(SellerProfile, user_id)
    if profile is None:
        profile = SellerProfile(user_id=user_id)
        session.add(profile)
    profile.display_name = spec.display_name.strip()[:100]
    profile.headline, profile.bio = spec.headline.strip()[:200], spec.bio.strip()
    profile.skills = [s.strip() for s in spec.skills if s.strip()][:15]
    profile.languages = [s.strip() for s in spec.languages if s.strip()][:10]
    profile.country, profile.state = spec.country.upper()[:2], spec.state.strip()[:60]
    await session.flush()
    return profile


async def get_profile(session: AsyncSession, user_id: str) -> SellerProfile:
    """A seller's public profile; ServiceNotFound (404) when they have none."""
    profile = await session.get(SellerProfile, user_id)
    if profile is None:
        raise ServiceNotFound("No such seller.")
    return profile


def level_for(completed: int, rating: float | None, on_time: float | None) -> str:
    for name, orders, min_rating, min_on_time in LEVELS:
        if completed >= orders and (rating or 0) >= min_rating and (on_time or 0) >= min_on_time:
            return name
    return "new"


async def stats(session: AsyncSession, seller_id: str) -> SellerStats:
    """Completed orders, average published buyer rating, on-time share, and the level."""
    done = (
        select(Order)
        .where(Order.seller_id == seller_id, Order.status == states.COMPLETED)
        .subquery()
    )
    completed = int(await session.scalar(select(func.count()).select_from(done)) or 0)
    late = int(
        await session.scalar(select(func.count()).select_from(done).where(done.c.late.is_(True)))
        or 0
    )
    ratings = await session.execute(
        select(func.count(Review.id), func.sum(Review.rating))
        .join(Order, Order.id == Review.order_id)
        .where(
            Order.seller_id == seller_id,
            Review.role == "buyer",
            Review.published_at.is_not(None),
        )
    )
    count, total = ratings.one()
    rating = round(int(total) / int(count), 2) if count else None
    on_time = (completed - late) / completed if completed else None
    return SellerStats(
        completed, rating, int(count or 0), on_time, level_for(completed, rating, on_time)
    )


async def clearance_seconds(session: AsyncSession, settings: Settings, seller_id: str) -> int:
    """How long this seller's earnings clear, by their level now:
    ``marketplace_clearance_by_level`` (seconds per level), else ``marketplace_clearance``
    (14 days; Fiverr clears top sellers' in 7)."""
    by_level = settings.marketplace_clearance_by_level
    if not by_level:
        return settings.marketplace_clearance
    level = (await stats(session, seller_id)).level
    return by_level.get(level, settings.marketplace_clearance)
