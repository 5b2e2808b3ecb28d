"""Small helpers: Paystack-style codes and ids, timestamps, integration ids, signatures."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from datetime import datetime

_LOWER = string.ascii_lowercase + string.digits
_MIXED = string.ascii_letters + string.digits


def random_code(length: int, *, alphabet: str = _LOWER) -> str:
    """``length`` random characters (lower-case letters and digits by default)."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_reference() -> str:
    """A reference like the ones Paystack generates when the caller gives none."""
    return random_code(12, alphabet=_MIXED)


def new_access_code() -> str:
    return random_code(15)


def new_session_id() -> str:
    """A 30-digit NIP session id, as on a settled transfer."""
    return "0900" + "".join(secrets.choice(string.digits) for _ in range(26))


def iso(value: datetime | None) -> str | None:
    """ISO-8601 in UTC with milliseconds and ``Z``, as Paystack writes timestamps."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def integration_id(secret_key: str) -> int:
    """A stable six-digit integration id for ``secret_key`` (Paystack objects carry one)."""
    digest = hashlib.sha256(secret_key.encode()).digest()
    return 100_000 + int.from_bytes(digest[:4], "big") % 900_000


def sign(body: bytes, secret_key: str) -> str:
    """``x-paystack-signature``: lower-case hex HMAC-SHA512 of the raw body, keyed by the key."""
    return hmac.new(secret_key.encode(), body, hashlib.sha512).hexdigest()
