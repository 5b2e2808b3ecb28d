"""Small helpers: the static auth signature, Providus-style ids, naira strings, WAT times."""

from __future__ import annotations

import hashlib
import secrets
import string
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from kro.kit.money import to_major

# Providus stamps ``tranDateTime`` in Lagos time (West Africa Time, UTC+1, no DST).
WAT = timezone(timedelta(hours=1), "WAT")


def signature(client_id: str, client_secret: str) -> str:
    """``X-Auth-Signature``: upper-case hex SHA-512 of ``"client_id:client_secret"``. Static:
    it is not computed over the body (providers.md 5.2)."""
    return hashlib.sha512(f"{client_id}:{client_secret}".encode()).hexdigest().upper()


def digits(length: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(length))


def new_session_id() -> str:
    """A 30-digit NIP session id (Providus Bank's NIP code 000023 leads it)."""
    return "000023" + digits(24)


def new_settlement_id() -> str:
    return digits(20)


def new_initiation_ref() -> str:
    """The reference Providus returns with a dynamic account (upper-case letters, digits)."""
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(20))


def naira(amount: int) -> str:
    """Kobo → the naira string Providus sends: ``150050`` → ``"1500.50"``."""
    return str(to_major(amount, "NGN"))


def bps_of(amount: int, bps: int) -> int:
    """``bps`` basis points of ``amount`` kobo, rounded half up to a kobo."""
    value = Decimal(amount) * Decimal(bps) / Decimal(10_000)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tran_date_time(value: datetime) -> str:
    """``"YYYY-MM-DD HH:MM:SS"`` in Lagos time, as in the settlement notification."""
    return value.astimezone(WAT).strftime("%Y-%m-%d %H:%M:%S")
