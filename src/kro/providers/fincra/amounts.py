"""Fincra speaks **major units** (``101.51`` naira) as JSON numbers; we speak ``int`` minor
units: :mod:`kro.providers.major_units` converts, with ``Decimal`` only (DESIGN.md §4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kro.providers.major_units import dumps, loads, to_number
from kro.providers.major_units import to_minor as _to_minor

__all__ = ["dumps", "loads", "to_fincra", "to_minor"]


def to_minor(value: Any, currency: str) -> int:
    """A Fincra amount → minor units; ValueError for floats, non-numbers and fractions of a
    minor unit."""
    return _to_minor(value, currency, "Fincra")


def to_fincra(amount: int, currency: str) -> Decimal:
    """Minor units → the major-unit number Fincra is sent."""
    return to_number(amount, currency)
