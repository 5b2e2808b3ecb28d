"""How pages show and read money and times: Babel, in the locale and time zone of the
settings (``en_NG``, Africa/Lagos by default). Amounts stay integers in minor units until the
last moment; ``Decimal`` carries them to Babel, never a float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import NumberFormatError, format_currency, parse_decimal

from kro.kit.money import MoneyError, from_major, to_major
from kro.web.errors import InvalidAmount


def money(amount: int | None, currency: str = "NGN", locale: str = "en_NG") -> str:
    """``(25_000_000, "NGN")`` → ``"₦250,000.00"``; ``None`` → ``"—"``."""
    if amount is None:
        return "—"
    return format_currency(to_major(amount, currency), currency, locale=locale)


def when(value: datetime | None, tz: str = "Africa/Lagos", locale: str = "en_NG") -> str:
    """An aware UTC time as Lagos time: ``"5 Dec 2026, 14:03"``; ``None`` → ``"—"``."""
    if value is None:
        return "—"
    return format_datetime(value, "d MMM y, HH:mm", tzinfo=ZoneInfo(tz), locale=locale)


def parse_amount(text: str, currency: str = "NGN", locale: str = "en_NG") -> int:
    """What a person types in major units (``"250,000"``, ``"₦1,500.50"``, ``"2500"``) → minor
    units, exactly. Raises :class:`InvalidAmount` (422 ``invalid_amount``) for anything else,
    a negative amount, or more decimals than the currency has."""
    cleaned = text.strip().replace("₦", "").replace(currency, "").replace(" ", "")
    if not cleaned:
        raise InvalidAmount()
    try:
        value = parse_decimal(cleaned, locale=locale, strict=True)
        if not value.is_finite() or value < 0:
            raise InvalidAmount()
        return from_major(Decimal(value), currency)
    except (NumberFormatError, MoneyError) as exc:
        raise InvalidAmount() from exc
