"""Calendar days as the platform's users count them: Lagos days (West Africa Time, UTC+1, no
daylight saving). Reports "per day" bucket moments by the Lagos day they fall on.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kro.kit.clock import utcnow
from kro.kit.errors import Unprocessable

LAGOS = ZoneInfo("Africa/Lagos")
MAX_DAYS = 366


class DateRangeInvalid(Unprocessable):
    code = "invalid_date_range"
    message = "The range must run forwards and span at most 366 days."


def today() -> date:
    """Today in Lagos."""
    return utcnow().astimezone(LAGOS).date()


def midnight(day: date) -> datetime:
    """The moment ``day`` begins in Lagos (aware)."""
    return datetime.combine(day, time.min, LAGOS)


def day_of(moment: datetime) -> date:
    """The Lagos day an aware ``moment`` falls on."""
    return moment.astimezone(LAGOS).date()


def span(start: date, end: date, max_days: int = MAX_DAYS) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive. Raises DateRangeInvalid (422, on the
    ``end`` field) when ``end`` is before ``start`` or the range is longer than ``max_days``."""
    days = (end - start).days + 1
    if days < 1 or days > max_days:
        raise DateRangeInvalid(details={"field": "end", "max_days": max_days})
    return [start + timedelta(days=i) for i in range(days)]


def default_range(start: date | None, end: date | None, days: int = 30) -> tuple[date, date]:
    """A report's range: ``end`` or today, ``start`` or ``days`` days ending there."""
    last = end or today()
    return start or last - timedelta(days=days - 1), last
