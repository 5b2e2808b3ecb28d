"""Receiving Paystack webhooks: check the signature on the raw body, parse, key for the inbox.

Paystack signs each webhook with ``x-paystack-signature``: the lower-case hex HMAC-SHA512 of the
raw request body keyed with the integration's *secret key* (there is no separate webhook
secret) — paystack.com/docs/payments/webhooks ("Verify event origin"). Verify the bytes as
received, before any JSON parsing. A webhook is only a hint: confirm with
``verify_transaction`` / ``verify_transfer`` before giving value.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from pydantic import ValidationError

from kro.providers.errors import PaystackWebhookInvalid as InvalidWebhookPayload
from kro.providers.paystack.schemas import PaystackEvent


def compute_signature(raw_body: bytes, secret_key: str) -> str:
    """The ``x-paystack-signature`` Paystack would send for ``raw_body``."""
    return hmac.new(secret_key.encode(), raw_body, hashlib.sha512).hexdigest()


def verify_signature(raw_body: bytes, signature: str | None, secret_key: str) -> bool:
    """True iff ``signature`` is Paystack's signature of exactly ``raw_body`` (constant time)."""
    if not signature or not secret_key:
        return False
    expected = compute_signature(raw_body, secret_key)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


def parse_event(raw_body: bytes) -> PaystackEvent:
    """``{"event": str, "data": {...}}`` → :class:`PaystackEvent`; else InvalidWebhookPayload."""
    try:
        payload = json.loads(raw_body)
        return PaystackEvent.model_validate(payload)
    except (ValueError, ValidationError):
        raise InvalidWebhookPayload() from None


def event_key(event: PaystackEvent) -> str:
    """The inbox's unique key: ``"<event>:<id>"``, unique per provider.

    Paystack events carry no event id, so the key is the event name plus the object's
    reference (charges, transfers); refunds use the refund's ``id`` (a transaction may have
    several partial refunds), then ``refund_reference``/``transaction_reference``. Falls back
    to ``data.id``, then a digest of the canonical data, so every event gets a stable key.
    """
    data = event.data
    names: tuple[str, ...] = ("reference", "id")
    if event.event.startswith("refund."):
        names = ("id", "refund_reference", "reference", "transaction_reference")
    for name in names:
        value = data.get(name)
        if value not in (None, ""):
            return f"{event.event}:{value}"
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]
    return f"{event.event}:sha256:{digest}"
