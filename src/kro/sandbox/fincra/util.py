"""Small helpers: Fincra-style ids, major-unit numbers, compact JSON and the signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kro.kit.money import to_major


def sign(raw: bytes, webhook_secret: str) -> str:
    """The ``signature`` header: hex HMAC-SHA512 of the compact JSON body keyed with the
    merchant's webhook secret key (docs.fincra.com/docs/validating-webhook)."""
    return hmac.new(webhook_secret.encode(), raw, hashlib.sha512).hexdigest()


def major(amount: int, currency: str) -> Decimal:
    """Minor units → the major-unit number Fincra sends: ``10_000_00`` → ``10000``,
    ``10_151`` → ``101.51`` (no trailing zeros, as a JavaScript number prints)."""
    value = to_major(amount, currency)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def dumps(value: Any) -> str:
    """Compact JSON (``JSON.stringify``'s shape) with ``Decimal`` written as a plain number,
    so that no amount ever passes through a float."""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k), ensure_ascii=False)}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def new_reference() -> str:
    """Fincra's own reference of a checkout, also the last segment of its ``link``."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(12))


def new_charge_reference(method: str) -> str:
    """``fcr-<method>-<hex>`` as in the charges webhook (``fcr-bt-…`` for bank transfer)."""
    short = {"card": "cd", "bank_transfer": "bt"}.get(method, "ch")
    return f"fcr-{short}-{secrets.token_hex(7)}"


def new_merchant_reference() -> str:
    """A reference Fincra generates when the merchant sends none."""
    return str(uuid.uuid4())


def bps_of(amount: int, bps: int) -> int:
    """``bps`` basis points of ``amount`` minor units, rounded half up."""
    value = Decimal(amount) * Decimal(bps) / Decimal(10_000)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
