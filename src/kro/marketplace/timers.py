"""The order timers, run by the periodic jobs of :mod:`kro.marketplace.tasks` over the
columns ``expires_at``, ``due_at``, ``auto_complete_at``, ``hard_limit_at`` and the
earnings' ``clears_at``. Each locks the rows it found (SKIP LOCKED on PostgreSQL, so several
workers may run them at once), goes through the state table, and does nothing to an order
that moved first (Sharetribe: a scheduled transition is dropped if the state changed)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.marketplace import money, states
from kro.marketplace.errors import OrderNotFound
from kro.marketplace.models import Earning, Order, Tip
from kro.marketplace.orders import PURPOSE, _cancel_paid, _complete, transition
from kro.payments.collect import service as payments
from kro.settings import Settings


async def _due(session: AsyncSession, stmt: object, limit: int) -> list[Order]:
    rows = await session.execute(stmt.limit(limit).with_for_update(skip_locked=True))  # type: ignore[attr-defined]
    return list(rows.scalars())


async def expire_unpaid(session: AsyncSession, now: datetime, limit: int = 200) -> int:
    """Cancel ``pending`` orders past ``expires_at`` (unless their payment has arrived)."""
    done = 0
    stmt = select(Order).where(Order.status == states.PENDING, Order.expires_at <= now)
    for order in await _due(session, stmt, limit):
        if await payments.completed_payment_for(session, PURPOSE, order.id):
            continue
        await transition(session, order, "expire", None, reason="not paid in time")
        order.closed_at = now
        done += 1
    return done


async def mark_late(session: AsyncSession, now: datetime, limit: int = 200) -> int:
    """Flag in-progress orders past their due date as late."""
    stmt = select(Order).where(
        Order.status == states.IN_PROGRESS, Order.late.is_(False), Order.due_at <= now
    )
    orders = await _due(session, stmt, limit)
    for order in orders:
        order.late = True
    await session.flush()
    return len(orders)


async def auto_complete(
    session: AsyncSession, settings: Settings, now: datetime, limit: int = 200
) -> int:
    """Complete delivered orders whose last delivery is ``marketplace_auto_complete`` old
    (not while a mutual cancellation request waits for its answer)."""
    stmt = select(Order).where(
        Order.status == states.DELIVERED,
        Order.auto_complete_at <= now,
        Order.cancel_requested_at.is_(None),  # a cancellation request waits for its answer
    )
    orders = await _due(session, stmt, limit)
    for order in orders:
        await _complete(session, settings, order, "auto_complete", None)
    return len(orders)


async def enforce_hard_limit(session: AsyncSession, now: datetime, limit: int = 200) -> int:
    """Cancel and refund held orders never completed by their hard limit."""
    stmt = select(Order).where(Order.status.in_(states.HELD), Order.hard_limit_at <= now)
    orders = await _due(session, stmt, limit)
    for order in orders:
        await _cancel_paid(session, order, "hard_limit", None, "not completed by the hard limit")
    return len(orders)


async def cancel_unanswered(
    session: AsyncSession, settings: Settings, now: datetime, limit: int = 200
) -> int:
    """Accept mutual cancellation requests left unanswered ``marketplace_mutual_cancel_
    timeout`` (48 h): cancelled, the buyer refunded in full."""
    from kro.marketplace.cancellation import clear_request

    since = now - timedelta(seconds=settings.marketplace_mutual_cancel_timeout)
    stmt = select(Order).where(Order.status.in_(states.HELD), Order.cancel_requested_at <= since)
    orders = await _due(session, stmt, limit)
    for order in orders:
        reason = order.cancel_reason or "unanswered cancellation request"
        clear_request(order)
        await _cancel_paid(session, order, "cancellation_timeout", None, reason)
    return len(orders)


async def clear_tips(session: AsyncSession, now: datetime, limit: int = 200) -> int:
    """Move tips whose clearance is over into the sellers' wallets."""
    stmt = (
        select(Tip)
        .where(Tip.status == "clearing", Tip.clears_at <= now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    tips = list((await session.execute(stmt)).scalars())
    for tip in tips:
        await money.clear_tip(session, tip)
        tip.status, tip.cleared_at = "cleared", now
    await session.flush()
    return len(tips)


async def clear_earnings(session: AsyncSession, now: datetime, limit: int = 200) -> int:
    """Move earnings whose clearance is over into the sellers' wallets."""
    stmt = (
        select(Earning)
        .where(Earning.status == "pending", Earning.clears_at <= now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    earnings = list((await session.execute(stmt)).scalars())
    for earning in earnings:
        order = await session.get(Order, earning.order_id)
        if order is None or order.status != states.COMPLETED:
            continue
        await money.clear(session, order, earning.amount)
        earning.status, earning.cleared_at = "cleared", now
    await session.flush()
    return len(earnings)


SHIFTED = (
    "expires_at",
    "paid_at",
    "started_at",
    "due_at",
    "delivered_at",
    "auto_complete_at",
    "hard_limit_at",
    "completed_at",
    "cancel_requested_at",
)


async def advance_clocks(
    session: AsyncSession, settings: Settings, order_id: str, seconds: int
) -> Order:
    """Sandbox only (demos and manual tests): move one order's clocks ``seconds`` into the
    past — as if that much time had gone by — then run every timer once, as the periodic
    jobs would. Raises OrderNotFound (404)."""
    from kro.marketplace import reviews

    order = await session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise OrderNotFound()
    delta = timedelta(seconds=seconds)
    for name in SHIFTED:
        value = getattr(order, name)
        if value is not None:
            setattr(order, name, value - delta)
    earning = (
        await session.execute(select(Earning).where(Earning.order_id == order.id))
    ).scalar_one_or_none()
    if earning is not None:
        earning.clears_at -= delta
    tips = await session.execute(select(Tip).where(Tip.order_id == order.id))
    for tip in tips.scalars():
        if tip.clears_at is not None:
            tip.clears_at -= delta
    await session.flush()
    now = utcnow()
    await expire_unpaid(session, now)
    await mark_late(session, now)
    await auto_complete(session, settings, now)
    await enforce_hard_limit(session, now)
    await cancel_unanswered(session, settings, now)
    await clear_earnings(session, now)
    await clear_tips(session, now)
    await reviews.publish_due(session, now, settings.marketplace_review_window)
    return order
