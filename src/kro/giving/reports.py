"""Admins' figures on KROGiving: donations per day over a date range (tips apart) and the CSV
export of one campaign's donations. Amounts are minor units; days are Lagos calendar days of
the moment the payment completed (``paid_at``)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.giving import campaigns, donations
from kro.giving.models import Campaign, Donation
from kro.kit import days
from kro.web.formatting import money

CSV_COLUMNS = (
    "donation_id",
    "receipt",
    "status",
    "name",
    "email",
    "anonymous",
    "amount",
    "amount_formatted",
    "tip",
    "cover",
    "total",
    "currency",
    "message",
    "paid_at",
)


@dataclass(frozen=True)
class DayTotal:
    """One Lagos day: ``count`` gifts paid that day, ``amount`` to campaigns (what ``raised``
    counts), ``tip`` to the platform, ``cover`` of fees, ``total`` charged; minor units.
    A gift refunded later still counts on the day it was paid."""

    day: date
    count: int = 0
    amount: int = 0
    tip: int = 0
    cover: int = 0
    total: int = 0


async def per_day(
    session: AsyncSession, start: date, end: date, currency: str = "NGN"
) -> list[DayTotal]:
    """Every day from ``start`` to ``end`` (inclusive, at most 366), days without gifts as
    zeros. Raises DateRangeInvalid (422) when ``end`` is before ``start`` or the range is
    longer."""
    stmt = select(Donation.paid_at, Donation.amount, Donation.tip, Donation.cover).where(
        Donation.paid_at.is_not(None),
        Donation.currency == currency,
        Donation.paid_at >= days.midnight(start),
        Donation.paid_at < days.midnight(end + timedelta(days=1)),
    )
    sums = {day: [0, 0, 0, 0] for day in days.span(start, end)}
    for paid_at, amount, tip, cover in await session.execute(stmt):
        assert paid_at is not None  # the query's condition
        row = sums[days.day_of(paid_at)]
        row[0] += 1
        row[1] += amount
        row[2] += tip
        row[3] += cover
    return [
        DayTotal(day, n, amount, tip, cover, amount + tip + cover)
        for day, (n, amount, tip, cover) in sums.items()
    ]


def grand_total(rows: list[DayTotal]) -> DayTotal:
    """The range's sums (``day`` is the first day's)."""
    first = rows[0].day if rows else date.min
    return DayTotal(
        first,
        sum(r.count for r in rows),
        sum(r.amount for r in rows),
        sum(r.tip for r in rows),
        sum(r.cover for r in rows),
        sum(r.total for r in rows),
    )


async def donations_csv(session: AsyncSession, campaign_id: str) -> tuple[Campaign, str]:
    """Every donation of a campaign, oldest first, as CSV (standard ``csv`` module, RFC 4180
    quoting): amounts in minor units plus ``amount_formatted`` (₦1,234.50); an anonymous
    donor's name is "Anonymous" as on the wall; emails are there (admins only). Raises
    CampaignNotFound (404)."""
    campaign = await campaigns.get_any(session, campaign_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for d in await donations.of_campaign(session, campaign.id):
        writer.writerow(
            [
                d.id,
                d.receipt_number or "",
                d.status,
                d.public_name,
                d.donor_email,
                "yes" if d.anonymous else "no",
                d.amount,
                money(d.amount, d.currency),
                d.tip,
                d.cover,
                d.total,
                d.currency,
                d.public_message or "",
                d.paid_at.isoformat() if d.paid_at else "",
            ]
        )
    return campaign, out.getvalue()
