"""Webhooks as Flutterwave sends them: stored, signed, delivered, retried.

- Body: ``{"event": "charge.completed", "data": {...}, "event.type": "CARD_TRANSACTION"}``
  (amounts major-unit numbers; sent for failed charges too — check ``data.status``;
  providers.md 2). The stored text is the exact bytes sent on every attempt.
- Headers: ``verif-hash`` = the merchant's dashboard secret hash **as plain text** (the v3
  scheme), and ``flutterwave-signature`` = base64 HMAC-SHA256 of the raw body keyed with that
  hash (the newer scheme [S]).
- Any non-2xx answer, timeout or connection error is a failed attempt, retried after
  ``config.webhook_retry_schedule[n]`` seconds (an assumption, see config); after the last
  the delivery is ``failed`` (:mod:`kro.sandbox.common.delivery`).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kro.sandbox.common.delivery import ConfiguredSender, add_copy, add_due, delivery_state
from kro.sandbox.flutterwave.config import FlutterwaveSandboxConfig
from kro.sandbox.flutterwave.models import Transaction, WebhookDelivery
from kro.sandbox.flutterwave.util import dumps, sign


async def enqueue(
    session: AsyncSession, transaction: Transaction, event: str, payload: dict[str, Any]
) -> WebhookDelivery:
    """Store a webhook about ``transaction``, due now; the delivery loop sends it. Only
    flushes."""
    delivery = WebhookDelivery(
        account_id=transaction.account_id,
        event=event,
        transaction_id=transaction.id,
        tx_ref=transaction.tx_ref,
        body=dumps(payload),
    )
    return await add_due(session, delivery)


async def resend(session: AsyncSession, original: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same bytes (a duplicate for the receiver). Only flushes."""
    return await add_copy(session, original, "account_id", "event", "transaction_id", "tx_ref")


def delivery_data(d: WebhookDelivery) -> dict[str, Any]:
    """A delivery as the control API lists it (the body as text and parsed)."""
    return {
        "id": d.id,
        "account_id": d.account_id,
        "event": d.event,
        "transaction_id": d.transaction_id,
        "tx_ref": d.tx_ref,
        **delivery_state(d),
        "body": d.body,
        "payload": json.loads(d.body),
    }


class WebhookSender(ConfiguredSender[FlutterwaveSandboxConfig]):
    """Sends due deliveries to ``config.webhook_url`` with the merchant's secret hash."""

    model = WebhookDelivery
    event = "flutterwave_webhook_attempt"

    log_name = "kro.sandbox.flutterwave.webhooks"

    def headers(self, row: WebhookDelivery) -> dict[str, str]:
        merchant = self.config.by_account_id(row.account_id)
        secret_hash = merchant.secret_hash if merchant else ""
        return {
            "content-type": "application/json",
            "verif-hash": secret_hash,
            "flutterwave-signature": sign(row.body.encode(), secret_hash),
            "user-agent": "Flutterwave-Webhooks/3 (kro sandbox)",
        }
