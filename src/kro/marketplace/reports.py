"""Marketplace reports for admins: per Lagos day, the orders paid that day, their GMV (what
buyers paid: price + service fee, extras bought mid-order and tips included) and the
platform's fees (service fees + commissions + the tips' cut). An order refunded later still
counts on the day it was paid (the refunds are the payments core's own report)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit import days
from kro.marketplace.models import Order, OrderExtra, Tip


@dataclass(frozen=True)
class DayTotal:
    """One Lagos day: ``orders`` paid, ``gmv`` and ``fees`` in minor units."""

    day: date
    orders: int
    gmv: int
    fees: int


async def per_day(
    session: AsyncSession, start: date, end: date, currency: str = "NGN"
) -> list[DayTotal]:
    """Every day from ``start`` to ``end`` (inclusive, at most 366; days without orders as
    zeros). Raises DateRangeInvalid (422)."""
    low, high = days.midnight(start), days.midnight(end + timedelta(days=1))
    sums = {day: [0, 0, 0] for day in days.span(start, end)}

    def add(at: datetime | None, orders: int, gmv: int, fees: int) -> None:
        if at is not None:
            row = sums[days.day_of(at)]
            row[0], row[1], row[2] = row[0] + orders, row[1] + gmv, row[2] + fees

    paid = select(Order.paid_at, Order.price, Order.service_fee, Order.commission).where(
        Order.currency == currency, Order.paid_at >= low, Order.paid_at < high
    )
    for at, price, fee, commission in await session.execute(paid):
        add(at, 1, price + fee, fee + commission)
    extras = (
        select(OrderExtra.paid_at, OrderExtra.price, OrderExtra.service_fee, OrderExtra.commission)
        .join(Order, Order.id == OrderExtra.order_id)
        .where(Order.currency == currency, OrderExtra.paid_at >= low, OrderExtra.paid_at < high)
    )
    for at, price, fee, commission in await session.execute(extras):
        add(at, 0, price + fee, fee + commission)
    # A tip counts on the day its checkout opened (it is paid within minutes).
    tips = select(Tip.created_at, Tip.amount, Tip.commission).where(
        Tip.currency == currency,
        Tip.status.in_(("clearing", "cleared")),
        Tip.created_at >= low,
        Tip.created_at < high,
    )
    for created, amount, cut in await session.execute(tips):
        add(created, 0, amount, cut)
    return [DayTotal(day, n, gmv, fees) for day, (n, gmv, fees) in sums.items()]


def grand_total(rows: list[DayTotal]) -> DayTotal:
    """The sum of ``rows`` (its ``day`` the first one's)."""
    first = rows[0].day if rows else days.today()
    return DayTotal(
        first,
        sum(r.orders for r in rows),
        sum(r.gmv for r in rows),
        sum(r.fees for r in rows),
    )
