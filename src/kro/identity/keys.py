"""Secret API keys, the pure part: ``sk_test_…`` / ``sk_live_…``, shown once, stored as a
SHA-256 digest and found by their first :data:`PREFIX_LENGTH` characters (DESIGN.md s.6)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

PREFIX_LENGTH = 12
_KEY = re.compile(r"^sk_(test|live)_[A-Za-z0-9_-]{32,64}$")


@dataclass(frozen=True, slots=True)
class NewKey:
    """``secret`` goes to the caller once; ``prefix`` and ``digest`` are stored."""

    secret: str
    prefix: str
    digest: str


def digest(secret: str) -> str:
    """SHA-256 hex of the key (a 256-bit random key needs no slow hash)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def generate(mode: str) -> NewKey:
    """A new random key for ``mode`` (32 random bytes, URL-safe base64)."""
    secret = f"sk_{mode}_{secrets.token_urlsafe(32)}"
    return NewKey(secret, secret[:PREFIX_LENGTH], digest(secret))


def parse(secret: str) -> tuple[str, str] | None:
    """``(mode, prefix)`` of a well-formed key, or ``None``."""
    match = _KEY.match(secret)
    return (match.group(1), secret[:PREFIX_LENGTH]) if match else None
