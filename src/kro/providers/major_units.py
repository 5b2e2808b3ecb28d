"""JSON bodies of providers that speak **major units** as JSON numbers (Flutterwave
``1234.56``, Fincra ``101.51`` naira), while we speak ``int`` minor units (DESIGN.md §4). The
conversion happens here, with ``Decimal`` only: bodies are read by :func:`loads`
(``parse_float=Decimal``) and written by :func:`dumps`, so no amount ever passes through a
float. Each such adapter's ``amounts`` module names these for its provider.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from kro.kit.money import MoneyError, from_major, to_major


def to_minor(value: Any, currency: str, provider: str = "provider") -> int:
    """A provider's amount (JSON number read as ``Decimal``, int or numeric string) → minor
    units: ``Decimal("1234.56")`` NGN → ``123456``. Raises ValueError for floats, booleans,
    non-numbers and fractions of a minor unit."""
    if isinstance(value, bool | float) or not isinstance(value, int | Decimal | str):
        raise ValueError(f"not a {provider} amount: {value!r}")
    try:
        return from_major(Decimal(str(value).strip()), currency)
    except (InvalidOperation, MoneyError) as exc:
        raise ValueError(f"not an amount in {currency}: {value!r}") from exc


def to_number(amount: int, currency: str) -> Decimal:
    """Minor units → the major-unit number we send: ``123456`` kobo → ``1234.56``,
    ``1_000_000`` → ``10000``."""
    value = to_major(amount, currency)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def dumps(value: Any) -> str:
    """Compact JSON as ``JSON.stringify`` writes it, ``Decimal`` written as a plain number."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k), ensure_ascii=False)}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def loads(raw: bytes | str) -> Any:
    """JSON with every non-integer number as ``Decimal``."""
    return json.loads(raw, parse_float=Decimal)
