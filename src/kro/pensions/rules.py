"""The Pension Reform Act 2014 arithmetic, pure (no I/O): contributions, proration, the
remittance deadline and the late penalty (shared/reference/domains.md §4).

Amounts are ``int`` kobo. Rates are basis points. One rounding rule everywhere: every line is
computed with ``decimal.Decimal`` and rounded **half-up to the kobo once per line**; a total
is the sum of its lines (never recomputed from a total), so the per-PFA files add up exactly.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import holidays

EMOLUMENT_ITEMS = ("basic", "housing", "transport", "other")


def half_up(value: Decimal) -> int:
    """Round ``value`` (kobo, possibly fractional) half-up to whole kobo."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share(amount: int, bps: int) -> int:
    """``bps`` basis points of ``amount`` kobo, half-up."""
    return half_up(Decimal(amount) * Decimal(bps) / Decimal(10_000))


@dataclass(frozen=True)
class Pay:
    """One employee's monthly pay in kobo (effective-dated in the database)."""

    basic: int
    housing: int = 0
    transport: int = 0
    other: int = 0
    voluntary: int = 0

    def emoluments(self, items: tuple[str, ...] | list[str]) -> int:
        """Monthly pensionable emoluments: the sum of ``items`` (default basic + housing +
        transport, PRA 2014 "not less than"; ``KRO_PENSIONS_EMOLUMENT_ITEMS``)."""
        return sum(int(getattr(self, item)) for item in items)

    @property
    def annual_total_emoluments(self) -> int:
        """ATE for Group Life Insurance (s.4(5)): (basic + housing + transport) × 12."""
        return (self.basic + self.housing + self.transport) * 12


@dataclass(frozen=True)
class Rates:
    """Contribution rates in basis points; ``bears_all``: the employer pays everything and the
    total is at least ``bears_all_min_bps`` (NLPC: 20 %; uncertain, a setting)."""

    employee_bps: int = 800
    employer_bps: int = 1_000
    bears_all: bool = False
    bears_all_min_bps: int = 2_000


@dataclass(frozen=True)
class Line:
    """One employee's line of a schedule, kobo. ``total = employee + employer + voluntary``."""

    emoluments: int
    employee: int
    employer: int
    voluntary: int

    @property
    def total(self) -> int:
        return self.employee + self.employer + self.voluntary

    @property
    def mandatory(self) -> int:
        """The contribution the Act requires (employee + employer), the penalty's base."""
        return self.employee + self.employer


def prorate(amount: int, active_days: int, days_in_month: int) -> int:
    """Proration for joiners and leavers: ``amount × active_days / days_in_month`` (calendar
    days, both ends included), half-up. A full month returns ``amount`` unchanged."""
    if active_days >= days_in_month:
        return amount
    return half_up(Decimal(amount) * Decimal(active_days) / Decimal(days_in_month))


def active_days(period: str, hired: date, exited: date | None) -> tuple[int, int]:
    """``(days employed in the month, days in the month)`` for ``period`` (``YYYY-MM``)."""
    first, last = period_bounds(period)
    start = max(first, hired)
    end = min(last, exited) if exited else last
    days = (end - start).days + 1 if end >= start else 0
    return days, last.day


def contribution(
    pay: Pay, rates: Rates, items: tuple[str, ...] | list[str], days: int, days_in_month: int
) -> Line:
    """The line for one employee: emoluments prorated first, then each share rounded half-up.

    Normal mode: employee ``employee_bps`` and employer ``employer_bps`` of the emoluments.
    Employer-bears-all: the employee pays 0 and the employer
    ``max(employee_bps + employer_bps, bears_all_min_bps)``. Voluntary contributions are a
    fixed monthly amount, not prorated.
    """
    emoluments = prorate(pay.emoluments(items), days, days_in_month)
    if rates.bears_all:
        employer_bps = max(rates.employee_bps + rates.employer_bps, rates.bears_all_min_bps)
        return Line(emoluments, 0, share(emoluments, employer_bps), pay.voluntary)
    return Line(
        emoluments,
        share(emoluments, rates.employee_bps),
        share(emoluments, rates.employer_bps),
        pay.voluntary,
    )


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``; ValueError if it is not one."""
    year, month = parse_period(period)
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def parse_period(period: str) -> tuple[int, int]:
    """``"2026-11"`` → ``(2026, 11)``; ValueError otherwise."""
    if len(period) != 7 or period[4] != "-":
        raise ValueError("period must be YYYY-MM")
    year, month = int(period[:4]), int(period[5:])
    if not 1 <= month <= 12 or year < 2000:
        raise ValueError("period must be YYYY-MM")
    return year, month


def salary_date(period: str, salary_day: int) -> date:
    """The day salaries of ``period`` are paid: ``salary_day`` of that month (the last day
    when the month is shorter)."""
    first, last = period_bounds(period)
    return first.replace(day=min(salary_day, last.day))


@lru_cache(maxsize=64)
def _nigerian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NG", years=year).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Nigerian public holiday (the ``holidays`` package)."""
    return day.weekday() < 5 and day not in _nigerian_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
    current = start
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if is_working_day(current):
            counted += 1
    return current


def deadline(period: str, salary_day: int, working_days: int) -> date:
    """PRA 2014 s.11(3): remit within ``working_days`` (7) working days of paying salaries."""
    return add_working_days(salary_date(period, salary_day), working_days)


def months_late(due: date, paid: date) -> int:
    """Months or parts of a month from ``due`` to ``paid``: 0 when paid on time; one day late
    is one month; exactly one calendar month late is one; a day more is two."""
    if paid <= due:
        return 0
    months = (paid.year - due.year) * 12 + (paid.month - due.month)
    if paid.day > due.day or months == 0:
        months += 1
    return max(months, 1)


def penalty(mandatory: int, rate_bps: int, months: int) -> int:
    """The late penalty on one employee's unpaid contribution (employee + employer), kobo:
    ``rate_bps`` (2 %) per month or part of a month, half-up (PRA 2014 s.11, "not less than
    2 %"; owed to the employee's RSA)."""
    if months <= 0:
        return 0
    return half_up(Decimal(mandatory) * Decimal(rate_bps) * Decimal(months) / Decimal(10_000))
