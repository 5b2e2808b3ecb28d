"""Events and their webhooks, as Stripe makes and sends them.

- An event (docs.stripe.com/api/events/object): ``{"id": "evt_…", "object": "event",
  "api_version", "created", "data": {"object": {...}}, "livemode": false,
  "pending_webhooks", "request": {"id", "idempotency_key"}, "type"}``; ``data.object`` is a
  snapshot of the object when the event happened. Stored (``GET /v1/events/:id``) and queued
  for the account's endpoint; the body is the exact JSON text sent on every attempt
  (pretty-printed, as Stripe sends it).
- Header ``Stripe-Signature: t=<unix>,v1=<hex>``: hex HMAC-SHA256 of ``"{t}.{body}"`` keyed
  with the endpoint's ``whsec_…`` secret as UTF-8 bytes (providers.md 3, stripe-python
  ``_webhook.py``), with a fresh ``t`` per attempt.
- A delivery without a 2xx is retried after ``config.webhook_retry_schedule[n]`` seconds
  (:mod:`kro.sandbox.common.delivery`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.sandbox.common.delivery import ConfiguredSender, add_copy, add_due, delivery_state
from kro.sandbox.stripe.config import API_VERSION, StripeSandboxConfig
from kro.sandbox.stripe.forms import new_object_id, unix
from kro.sandbox.stripe.models import Event, WebhookDelivery


def signature_header(body: str, secret: str, timestamp: int) -> str:
    """``t=<timestamp>,v1=<hex HMAC-SHA256 of "{t}.{body}" keyed with secret (UTF-8)>``."""
    signed = f"{timestamp}.{body}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


async def emit(session: AsyncSession, account_id: str, type_: str, obj: dict[str, Any]) -> Event:
    """Record event ``type_`` about ``obj`` (a shape from :mod:`shapes`) and queue its webhook.
    Only flushes."""
    now = clock.now()
    event_id = new_object_id("evt")
    payload = {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": unix(now),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type_,
    }
    body = json.dumps(payload, indent=2, ensure_ascii=False)
    event = Event(
        id=event_id, account_id=account_id, type=type_, object_id=obj["id"], body=body, created=now
    )
    session.add(event)
    await add_due(
        session,
        WebhookDelivery(
            account_id=account_id, event_id=event_id, event=type_, object_id=obj["id"], body=body
        ),
    )
    return event


async def resend(session: AsyncSession, original: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same event (a duplicate for the receiver). Only flushes."""
    return await add_copy(session, original, "account_id", "event_id", "event", "object_id")


def delivery_data(d: WebhookDelivery) -> dict[str, Any]:
    """A delivery as ``GET /_sandbox/webhooks`` lists it (body as text and parsed)."""
    return {
        "id": d.id,
        "account_id": d.account_id,
        "event_id": d.event_id,
        "type": d.event,
        "object_id": d.object_id,
        **delivery_state(d),
        "body": d.body,
        "payload": json.loads(d.body),
    }


class WebhookSender(ConfiguredSender[StripeSandboxConfig]):
    """Sends due deliveries to ``config.webhook_url`` signed with the account's ``whsec_…``."""

    model = WebhookDelivery
    event = "stripe_webhook_attempt"

    log_name = "kro.sandbox.stripe.webhooks"

    def headers(self, row: WebhookDelivery) -> dict[str, str]:
        # Computed when the attempt is claimed: every attempt carries a fresh timestamp.
        account = self.config.by_account_id(row.account_id)
        secret = account.webhook_secret if account else ""
        return {
            "content-type": "application/json; charset=utf-8",
            "stripe-signature": signature_header(row.body, secret, int(clock.now().timestamp())),
            "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }

    def describe(self, row: WebhookDelivery) -> dict[str, Any]:
        return {"delivery": row.id, "webhook_event": row.event, "event_id": row.event_id}
