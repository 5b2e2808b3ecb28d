"""Receiving Providus settlement notifications: check the headers, parse, key for the inbox.

Providus authenticates a notification with the same static headers we send it: ``Client-Id``
and ``X-Auth-Signature`` = upper-case hex SHA-512 of ``"client_id:client_secret"`` (providers.md
5.2). It is **not** bound to the body, so anyone who learns it can forge any body: the
notification is only a hint, and value moves only after ``PiPverifyTransaction`` confirms the
settlement (verify before value). Dedupe on ``settlementId``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal

from pydantic import ValidationError

from kro.providers.errors import ProvidusNotificationInvalid as InvalidNotification
from kro.providers.providus.schemas import Settlement


def compute_signature(client_id: str, client_secret: str) -> str:
    """The ``X-Auth-Signature`` Providus sends (and expects from us)."""
    return hashlib.sha512(f"{client_id}:{client_secret}".encode()).hexdigest().upper()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict: look the name up case-insensitively
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value


def verify_signature(headers: Mapping[str, str], client_id: str, client_secret: str) -> bool:
    """True iff ``Client-Id`` is ours and ``X-Auth-Signature`` is its signature (both compared
    in constant time; the hex case does not matter)."""
    if not client_id or not client_secret:
        return False
    given_id = _header(headers, "Client-Id") or ""
    given_signature = (_header(headers, "X-Auth-Signature") or "").strip().upper()
    expected = compute_signature(client_id, client_secret)
    same_id = hmac.compare_digest(given_id.strip().encode(), client_id.encode())
    same_signature = hmac.compare_digest(given_signature.encode(), expected.encode())
    return same_id and same_signature


def parse_notification(raw_body: bytes) -> Settlement:
    """The notification body → :class:`Settlement` (amounts in kobo); else InvalidNotification.

    JSON numbers are read as ``Decimal``, never ``float``, in case Providus sends any.
    """
    try:
        payload = json.loads(raw_body, parse_float=Decimal)
        return Settlement.model_validate(payload)
    except (ValueError, ValidationError):
        raise InvalidNotification() from None


def session_id_of(raw_body: bytes) -> str | None:
    """The ``sessionId`` of a body, if it has one (the reply echoes it even on a rejection)."""
    try:
        payload = json.loads(raw_body, parse_float=Decimal)
    except ValueError:
        return None
    value = payload.get("sessionId") if isinstance(payload, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
