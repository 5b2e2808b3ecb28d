"""Receiving Fincra webhooks: check the signature, parse, key for the inbox.

Fincra signs each webhook with header ``signature``: the hex HMAC-SHA512 of the JSON payload
serialised compactly (``JSON.stringify`` / ``json.dumps(..., separators=(",", ":"))``), keyed
with the business's **webhook secret key** — not the API secret key
(docs.fincra.com/docs/validating-webhook; providers.md 5.1). We check the bytes as received;
if they are not compact (a proxy re-indented them), the compact re-serialisation of the parsed
body is checked too, which is exactly what Fincra's own sample does. A webhook is only a hint:
confirm with ``verify_payment`` before giving value (Fincra's own advice, setup-webhook).
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import ValidationError

from kro.providers.errors import FincraWebhookInvalid as InvalidWebhookPayload
from kro.providers.fincra.amounts import dumps, loads
from kro.providers.fincra.schemas import FincraEvent


def compute_signature(raw_body: bytes, webhook_secret: str) -> str:
    """The ``signature`` Fincra would send for ``raw_body``."""
    return hmac.new(webhook_secret.encode(), raw_body, hashlib.sha512).hexdigest()


def _matches(raw: bytes, signature: str, webhook_secret: str) -> bool:
    expected = compute_signature(raw, webhook_secret)
    return hmac.compare_digest(expected.encode(), signature.encode())


def verify_signature(raw_body: bytes, signature: str | None, webhook_secret: str) -> bool:
    """True iff ``signature`` is Fincra's signature of the body (constant-time comparison)."""
    if not signature or not webhook_secret:
        return False
    given = signature.strip().lower()
    if _matches(raw_body, given, webhook_secret):
        return True
    try:
        compact = dumps(loads(raw_body)).encode()
    except ValueError:
        return False
    return compact != raw_body and _matches(compact, given, webhook_secret)


def parse_event(raw_body: bytes) -> FincraEvent:
    """``{"event": str, "data": {...}}`` → :class:`FincraEvent`; else InvalidWebhookPayload.
    Numbers are read as ``Decimal``, never ``float``."""
    try:
        return FincraEvent.model_validate(loads(raw_body))
    except (ValueError, ValidationError):
        raise InvalidWebhookPayload() from None


def event_key(event: FincraEvent) -> str:
    """The inbox's unique key: ``"<event>:<reference>"``. Fincra events carry no event id, so
    the key is the event name plus the charge's ``chargeReference`` (one per payment attempt),
    else the merchant's reference, else Fincra's ``reference``, else the data's digest."""
    data = event.data
    for name in ("chargeReference", "merchantReference", "reference", "id"):
        value = data.get(name)
        if value not in (None, ""):
            return f"{event.event}:{value}"
    digest = hashlib.sha256(dumps(data).encode()).hexdigest()[:32]
    return f"{event.event}:sha256:{digest}"
