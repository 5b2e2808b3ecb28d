"""Idempotency keys, the pure part (Stripe's semantics; DESIGN.md section 5).

A POST carrying ``Idempotency-Key`` is run once per (caller, key): the first response, errors
included, is stored for 24 h and replayed byte for byte; the same key with other parameters
is refused (422 ``idempotency_key_reused``); the same key while the first request still runs
is refused (409 ``idempotency_key_in_use``). The storage and the HTTP wiring live in
``kro.idempotency``; this module only decides, given what is stored.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from kro.kit.errors import InvalidIdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class Verdict(enum.Enum):
    """What to do with a request whose key is already stored."""

    REPLAY = "replay"  # the first request finished: send its response again
    IN_USE = "in_use"  # the first request still runs: 409
    REUSED = "reused"  # other parameters under the same key: 422
    TAKE_OVER = "take_over"  # the stored attempt expired or was abandoned: run this one


@dataclass(frozen=True, slots=True)
class StoredAttempt:
    """The stored state of a key: its request fingerprint, ``running`` or ``done``, when the
    running attempt took the lock, and when the record expires."""

    fingerprint: str
    status: str
    locked_at: datetime
    expires_at: datetime


def validate_key(value: str) -> str:
    """The key as given if it is 1–255 printable ASCII characters; InvalidIdempotencyKey (422)
    otherwise."""
    if not value or len(value) > MAX_KEY_LENGTH or not value.isascii() or not value.isprintable():
        raise InvalidIdempotencyKey(details={"header": HEADER})
    return value


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """SHA-256 (hex) of the request's method, path, query string and raw body: what "the same
    parameters" means."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode()):
        digest.update(part)
        digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


def judge(
    stored: StoredAttempt, request_fingerprint: str, *, now: datetime, lock_timeout: timedelta
) -> Verdict:
    """Decide about a request whose (caller, key) is already stored.

    An expired record is forgotten (TAKE_OVER). Otherwise other parameters are REUSED whatever
    the state; a finished attempt is replayed; a running one is IN_USE unless its lock is older
    than ``lock_timeout``: its process died before finishing (its transaction rolled back), so
    this request may run.
    """
    if stored.expires_at <= now:
        return Verdict.TAKE_OVER
    if stored.fingerprint != request_fingerprint:
        return Verdict.REUSED
    if stored.status == "done":
        return Verdict.REPLAY
    if stored.locked_at + lock_timeout <= now:
        return Verdict.TAKE_OVER
    return Verdict.IN_USE
