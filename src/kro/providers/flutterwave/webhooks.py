"""Receiving Flutterwave webhooks: check the secret hash, parse, key for the inbox.

Flutterwave v3 authenticates a webhook with header ``verif-hash``: the **secret hash** the
merchant typed in the dashboard, sent as plain text (no HMAC) — compare it with the stored
value, in constant time. The newer scheme adds ``flutterwave-signature``: base64
HMAC-SHA256 of the raw body keyed with the same secret hash [S] (providers.md 2). Either
one valid is enough. A webhook is only a hint: confirm with verify before giving value
(Flutterwave's own advice; DESIGN.md section 5).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from kro.providers.errors import FlutterwaveWebhookInvalid as InvalidWebhookPayload
from kro.providers.flutterwave.amounts import dumps, loads
from kro.providers.flutterwave.schemas import FlutterwaveEvent


def compute_signature(raw_body: bytes, secret_hash: str) -> str:
    """The ``flutterwave-signature`` Flutterwave would send for ``raw_body``."""
    digest = hmac.new(secret_hash.encode(), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature(raw_body: bytes, headers: Mapping[str, str], secret_hash: str | None) -> bool:
    """True iff ``verif-hash`` equals ``secret_hash`` or ``flutterwave-signature`` is the
    HMAC of ``raw_body`` under it (both compared in constant time). No secret → False."""
    if not secret_hash:
        return False
    lowered = {k.lower(): v for k, v in headers.items()}
    verif_hash = lowered.get("verif-hash")
    if verif_hash and hmac.compare_digest(verif_hash.strip().encode(), secret_hash.encode()):
        return True
    signature = lowered.get("flutterwave-signature")
    if not signature:
        return False
    expected = compute_signature(raw_body, secret_hash)
    return hmac.compare_digest(signature.strip().encode(), expected.encode())


def parse_event(raw_body: bytes) -> FlutterwaveEvent:
    """``{"event": str, "data": {...}}`` → :class:`FlutterwaveEvent`; else
    InvalidWebhookPayload. Numbers are read as ``Decimal``, never ``float``. (Legacy v2-style
    flat bodies with ``"event.type"`` are not events here.)"""
    try:
        return FlutterwaveEvent.model_validate(loads(raw_body))
    except (ValueError, ValidationError):
        raise InvalidWebhookPayload() from None


def event_key(event: FlutterwaveEvent) -> str:
    """The inbox's unique key: ``"<event>:<data.id>:<data.status>"`` — Flutterwave events
    carry no event id; a transaction completes once, so id and status name the event (a
    resent hook is the same event). Without an id, a digest of the data."""
    data: dict[str, Any] = event.data
    if data.get("id") not in (None, ""):
        return f"{event.event}:{data['id']}:{data.get('status')}"
    digest = hashlib.sha256(dumps(data).encode()).hexdigest()[:32]
    return f"{event.event}:sha256:{digest}"
