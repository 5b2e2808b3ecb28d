"""Webhooks as Fincra sends them: stored, signed, delivered, retried.

- Body: compact JSON ``{"event": "charge.successful", "type": "charge", "data": {...}}``
  (amounts are major-unit numbers); the stored text is the exact bytes sent on every attempt.
- Header ``signature``: hex HMAC-SHA512 of that compact JSON keyed with the business's
  webhook secret key — Fincra's own sample computes it over ``JSON.stringify(payload)`` /
  ``json.dumps(payload, separators=(",", ":"))`` (docs.fincra.com/docs/validating-webhook).
- Any non-2xx answer, timeout or connection error is a failed attempt, retried after
  ``config.webhook_retry_schedule[n]`` seconds (Fincra's schedule is not documented [U]);
  after the last the delivery is ``failed`` (:mod:`kro.sandbox.common.delivery`).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kro.sandbox.common.delivery import ConfiguredSender, add_copy, add_due
from kro.sandbox.fincra.config import FincraSandboxConfig
from kro.sandbox.fincra.models import WebhookDelivery
from kro.sandbox.fincra.util import dumps, sign


async def enqueue(
    session: AsyncSession, *, business_id: str, event: str, reference: str, payload: dict[str, Any]
) -> WebhookDelivery:
    """Store a webhook, due now; the delivery loop sends it. Only flushes."""
    delivery = WebhookDelivery(
        business_id=business_id, event=event, reference=reference, body=dumps(payload)
    )
    return await add_due(session, delivery)


async def resend(session: AsyncSession, original: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same bytes (a duplicate for the receiver). Only flushes."""
    return await add_copy(session, original, "business_id", "event", "reference")


def delivery_data(d: WebhookDelivery) -> dict[str, Any]:
    """A delivery as the control API lists it (the body as text and parsed)."""
    return {
        "id": d.id,
        "businessId": d.business_id,
        "event": d.event,
        "reference": d.reference,
        "status": d.status,
        "attemptCount": d.attempt_count,
        "attempts": d.attempts,
        "nextAttemptAt": d.next_attempt_at.isoformat() if d.status == "pending" else None,
        "resentFrom": d.resent_from,
        "createdAt": d.created_at.isoformat(),
        "deliveredAt": d.delivered_at.isoformat() if d.delivered_at else None,
        "body": d.body,
        "payload": json.loads(d.body),
    }


class WebhookSender(ConfiguredSender[FincraSandboxConfig]):
    """Sends due deliveries to ``config.webhook_url``, signed with the business's secret."""

    model = WebhookDelivery
    event = "fincra_webhook_attempt"

    log_name = "kro.sandbox.fincra.webhooks"

    def headers(self, row: WebhookDelivery) -> dict[str, str]:
        merchant = self.config.by_business_id(row.business_id)
        secret = merchant.webhook_secret if merchant else ""
        return {
            "content-type": "application/json",
            "signature": sign(row.body.encode(), secret),
            "user-agent": "Fincra-Webhooks/1.0 (kro sandbox)",
        }
