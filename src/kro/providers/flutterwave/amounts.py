"""Flutterwave speaks **major units** (``1234.56`` naira) as JSON numbers; we speak ``int`` minor
units: :mod:`kro.providers.major_units` converts, with ``Decimal`` only (DESIGN.md §4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kro.providers.major_units import dumps, loads, to_number
from kro.providers.major_units import to_minor as _to_minor

__all__ = ["dumps", "loads", "to_flutterwave", "to_minor"]


def to_minor(value: Any, currency: str) -> int:
    """A Flutterwave amount → minor units; ValueError for floats, non-numbers and fractions of a
    minor unit."""
    return _to_minor(value, currency, "Flutterwave")


def to_flutterwave(amount: int, currency: str) -> Decimal:
    """Minor units → the major-unit number Flutterwave is sent."""
    return to_number(amount, currency)
