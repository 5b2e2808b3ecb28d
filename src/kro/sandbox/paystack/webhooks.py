"""Webhooks as Paystack sends them: stored, signed, delivered, retried.

- Body: compact JSON ``{"event": "...", "data": {...}}``; the stored text is the exact bytes
  sent on every attempt, so a receiver can check the signature on the raw body.
- Header ``x-paystack-signature``: hex HMAC-SHA512 of the raw body keyed with the secret key
  of the integration the event belongs to (paystack.com/docs/payments/webhooks).
- Any non-2xx answer, timeout or connection error is a failed attempt; the next one is due
  after ``config.webhook_retry_schedule[n]`` seconds (test mode: hourly for 10 h); after the
  last the delivery is ``failed`` (:mod:`kro.sandbox.common.delivery`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.sandbox.common.delivery import ConfiguredSender, add_copy, add_due, delivery_state
from kro.sandbox.paystack.config import PaystackSandboxConfig
from kro.sandbox.paystack.models import WebhookDelivery
from kro.sandbox.paystack.util import integration_id, iso, sign


def encode(event: str, data: dict[str, Any]) -> str:
    """The exact JSON text of a webhook body."""
    return json.dumps({"event": event, "data": data}, separators=(",", ":"), ensure_ascii=False)


async def enqueue(
    session: AsyncSession,
    *,
    integration: int,
    event: str,
    data: dict[str, Any],
    reference: str | None,
) -> WebhookDelivery:
    """Store a webhook, due now; the delivery loop sends it. Only flushes."""
    delivery = WebhookDelivery(
        integration=integration, event=event, reference=reference, body=encode(event, data)
    )
    return await add_due(session, delivery)


async def resend(session: AsyncSession, original: WebhookDelivery) -> WebhookDelivery:
    """A new delivery with the same body (Paystack's "resend"; a duplicate for the receiver)."""
    return await add_copy(session, original, "integration", "event", "reference")


def delivery_data(delivery: WebhookDelivery) -> dict[str, Any]:
    """A delivery as the control API lists it (body included as parsed JSON)."""
    return {
        "id": delivery.id,
        "integration": delivery.integration,
        "event": delivery.event,
        "reference": delivery.reference,
        **delivery_state(delivery, iso),
        "payload": json.loads(delivery.body),
    }


class WebhookSender(ConfiguredSender[PaystackSandboxConfig]):
    """Sends due deliveries to ``config.webhook_url``, signed with the integration's key."""

    model = WebhookDelivery
    event = "paystack_webhook_attempt"

    log_name = "kro.sandbox.paystack.webhooks"

    def __init__(
        self,
        config: PaystackSandboxConfig,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
    ) -> None:
        super().__init__(config, sessions, http)
        self.keys = {integration_id(key): key for key in config.secret_keys}

    def key_for(self, integration: int) -> str:
        """The secret key that signs an integration's webhooks."""
        return self.keys.get(integration, self.config.secret_keys[0])

    def headers(self, row: WebhookDelivery) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "x-paystack-signature": sign(row.body.encode(), self.key_for(row.integration)),
            "user-agent": "Paystack/1.0 (kro sandbox)",
        }

    def stamp(self, when: datetime) -> str | None:
        return iso(when)
