"""Money: an integer amount in the currency's minor unit plus an ISO 4217 code.

Never a float. Providers that speak major units (Flutterwave, Remita, Providus) are converted
at the adapter boundary with :func:`to_major` / :func:`from_major`, which use ``Decimal`` and
refuse amounts that do not fit the currency's minor unit exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor-unit exponents of the currencies the providers we integrate settle in.
MINOR_UNITS: dict[str, int] = {
    "NGN": 2,
    "GHS": 2,
    "KES": 2,
    "ZAR": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "XOF": 0,
    "XAF": 0,
    "UGX": 0,
    "TZS": 2,
    "RWF": 0,
    "EGP": 2,
    "CAD": 2,
    "JPY": 0,
}


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def check_currency(code: str) -> str:
    """Return ``code`` if it is a supported ISO 4217 code (upper case), else raise MoneyError."""
    if code not in MINOR_UNITS:
        raise MoneyError(f"unsupported currency {code!r}")
    return code


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: ``amount`` in minor units (kobo for NGN) of ``currency``."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise MoneyError("amount must be an int in minor units")
        check_currency(self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def percent_bps(self, bps: int) -> Money:
        """``bps`` basis points of this amount (1 bps = 0.01 %), rounded half up to a minor unit."""
        value = (Decimal(self.amount) * Decimal(bps) / Decimal(10_000)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        return Money(int(value), self.currency)

    def to_major(self) -> Decimal:
        """The amount in major units (naira), exact."""
        return to_major(self.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.to_major():,} {self.currency}"


def to_major(amount: int, currency: str) -> Decimal:
    """Minor units → major units, exact: ``(150050, "NGN")`` → ``Decimal("1500.50")``."""
    exp = MINOR_UNITS[check_currency(currency)]
    return Decimal(amount).scaleb(-exp)


def from_major(value: Decimal | str | int, currency: str) -> int:
    """Major units → minor units; raises MoneyError if ``value`` has more decimals than allowed."""
    exp = MINOR_UNITS[check_currency(currency)]
    dec = Decimal(str(value)) if not isinstance(value, Decimal) else value
    scaled = dec.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{value} {currency} is not a whole number of minor units")
    return int(scaled)
