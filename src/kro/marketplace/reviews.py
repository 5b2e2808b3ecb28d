"""Reviews after completion, double-blind (Sharetribe's and Airbnb's rule): each side
reviews within ``marketplace_review_window`` of completion; a review is shown to anyone but
its author only once both are in or the window has closed (:func:`publish_due`, periodic).
A buyer's published rating counts in the service's aggregate."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.models import User
from kro.kit.clock import utcnow
from kro.marketplace import states
from kro.marketplace.errors import ReviewNotAllowed
from kro.marketplace.models import Order, Review, Service
from kro.marketplace.orders import load_for, role_of


async def submit(
    session: AsyncSession, user: User, order_id: str, rating: int, comment: str, window: int
) -> Review:
    """The caller's review of their completed order (once per side, ``rating`` 1-5, within
    ``window`` seconds of completion). Raises OrderNotFound (404), ReviewNotAllowed (409)."""
    order = await load_for(session, user, order_id, lock=True)
    role = role_of(order, user.id) or ""
    closes = (order.completed_at or utcnow()) + timedelta(seconds=window)
    if order.status != states.COMPLETED or utcnow() > closes:
        raise ReviewNotAllowed(details={"status": order.status})
    if await _review(session, order.id, role) is not None:
        raise ReviewNotAllowed("You have already reviewed this order.")
    review = Review(
        order_id=order.id,
        service_id=order.service_id,
        author_id=user.id,
        role=role,
        rating=rating,
        comment=comment.strip(),
    )
    session.add(review)
    await session.flush()
    other = await _review(session, order.id, "seller" if role == "buyer" else "buyer")
    if other is not None:
        await _publish(session, [review, other], utcnow())
    return review


async def _review(session: AsyncSession, order_id: str, role: str) -> Review | None:
    stmt = select(Review).where(Review.order_id == order_id, Review.role == role)
    return (await session.execute(stmt)).scalar_one_or_none()


async def _publish(session: AsyncSession, reviews: list[Review], now: datetime) -> None:
    for review in reviews:
        if review.published_at is not None:
            continue
        review.published_at = now
        if review.role == "buyer":
            service = await session.get(Service, review.service_id, with_for_update=True)
            if service is not None:
                service.rating_sum += review.rating
                service.rating_count += 1
    await session.flush()


async def publish_due(session: AsyncSession, now: datetime, window: int, limit: int = 200) -> int:
    """Publish reviews whose window has closed without the other side's (periodic)."""
    stmt = (
        select(Review)
        .join(Order, Order.id == Review.order_id)
        .where(
            Review.published_at.is_(None),
            Order.completed_at <= now - timedelta(seconds=window),
        )
        .limit(limit)
        .with_for_update(skip_locked=True, of=Review)
    )
    due = list((await session.execute(stmt)).scalars())
    await _publish(session, due, now)
    return len(due)


async def for_order(session: AsyncSession, order: Order, viewer_id: str) -> list[Review]:
    """The order's reviews the viewer may see: their own, and the other's once published."""
    stmt = select(Review).where(Review.order_id == order.id).order_by(Review.created_at)
    return [
        r
        for r in (await session.execute(stmt)).scalars()
        if r.author_id == viewer_id or r.published_at is not None
    ]


async def for_service(session: AsyncSession, service_id: str, limit: int = 50) -> list[Review]:
    """A service's published buyer reviews, newest first."""
    stmt = (
        select(Review)
        .where(
            Review.service_id == service_id,
            Review.role == "buyer",
            Review.published_at.is_not(None),
        )
        .order_by(Review.published_at.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())
