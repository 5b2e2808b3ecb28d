"""Small helpers: Flutterwave-style references, major-unit numbers, JSON without floats, the
``flutterwave-signature`` and the fee."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kro.kit.money import to_major


def sign(raw: bytes, secret_hash: str) -> str:
    """The ``flutterwave-signature`` header: base64 HMAC-SHA256 of the raw body keyed with the
    dashboard secret hash [S: third-party implementations; providers.md 2]."""
    digest = hmac.new(secret_hash.encode(), raw, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def major(amount: int, currency: str) -> Decimal:
    """Minor units → the major-unit number Flutterwave sends: ``10_000_00`` → ``10000``,
    ``123_456`` → ``1234.56``, ``10_150`` → ``101.5`` (as a JavaScript number prints)."""
    value = to_major(amount, currency)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def dumps(value: Any) -> str:
    """Compact JSON with ``Decimal`` written as a plain number (no amount passes a float)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k), ensure_ascii=False)}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def stamp(when: datetime) -> str:
    """Flutterwave's timestamps: ``2020-07-15T14:31:16.000Z`` (UTC, milliseconds)."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def new_link_token() -> str:
    """The last segment of a hosted link (``/hosted/pay/f524c1196ffda5556341``)."""
    return secrets.token_hex(10)


def new_flw_ref() -> str:
    """A charge's ``flw_ref`` as test mode writes it (``FLW-MOCK-<hex>``)."""
    return f"FLW-MOCK-{secrets.token_hex(16)}"


def new_refund_ref(now: datetime) -> str:
    """A refund's ``flw_ref``: ``URF_<epoch ms>_<digits>`` (the docs' sample:
    ``URF_1577867664541_3572735``)."""
    return f"URF_{int(now.timestamp() * 1000)}_{secrets.randbelow(9_000_000) + 1_000_000}"


def bps_of(amount: int, bps: int) -> int:
    """``bps`` basis points of ``amount`` minor units, rounded half up."""
    value = Decimal(amount) * Decimal(bps) / Decimal(10_000)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
