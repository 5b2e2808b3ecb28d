"""Webhooks as Paystack sends them: stored, signed, delivered, retried.

- Body: compact JSON ``{"event": "...", "data": {...}}``; the stored text is the exact bytes
  sent on every attempt, so a receiver can check the signature on the raw body.
- Header ``x-paystack-signature``: hex HMAC-SHA512 of the raw body keyed with the secret key
  of the integration the event belongs to (paystack.com/docs/payments/webhooks).
- Any non-2xx answer, timeout or connection error is a failed attempt; the next one is due
  after ``config.webhook_retry_schedule[n]`` seconds (test mode: hourly for 10 h); after the
  last the delivery is ``failed``. Due times come from ``kro.kit.clock``.
- Claiming a batch pushes ``next_attempt_at`` past the attempt's timeout first, so two loops
  sharing a database do not send the same attempt twice; delivery stays at least once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.clock import clock
from kro.kit.db import unit_of_work
from kro.sandbox.paystack.config import PaystackSandboxConfig
from kro.sandbox.paystack.models import WebhookDelivery
from kro.sandbox.paystack.util import integration_id, iso, sign

log = structlog.get_logger("kro.sandbox.paystack.webhooks")
BATCH = 20


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
    now = clock.now()
    delivery = WebhookDelivery(
        integration=integration,
        event=event,
        reference=reference,
        body=encode(event, data),
        status="pending",
        attempt_count=0,
        attempts=[],
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    await session.flush()
    return delivery


async def resend(session: AsyncSession, original: WebhookDelivery) -> WebhookDelivery:
    """A new delivery with the same body (Paystack's "resend"; a duplicate for the receiver)."""
    now = clock.now()
    copy = WebhookDelivery(
        integration=original.integration,
        event=original.event,
        reference=original.reference,
        body=original.body,
        status="pending",
        attempt_count=0,
        attempts=[],
        next_attempt_at=now,
        resent_from=original.id,
        created_at=now,
    )
    session.add(copy)
    await session.flush()
    return copy


def delivery_data(delivery: WebhookDelivery) -> dict[str, Any]:
    """A delivery as the control API lists it (body included as parsed JSON)."""
    return {
        "id": delivery.id,
        "integration": delivery.integration,
        "event": delivery.event,
        "reference": delivery.reference,
        "status": delivery.status,
        "attempt_count": delivery.attempt_count,
        "attempts": delivery.attempts,
        "next_attempt_at": iso(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "resent_from": delivery.resent_from,
        "created_at": iso(delivery.created_at),
        "delivered_at": iso(delivery.delivered_at),
        "payload": json.loads(delivery.body),
    }


@dataclass(frozen=True)
class _Claimed:
    id: int
    integration: int
    body: str


class WebhookSender:
    """Sends due deliveries to ``config.webhook_url`` and records each attempt."""

    def __init__(
        self,
        config: PaystackSandboxConfig,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.http = http
        self.keys = {integration_id(key): key for key in config.secret_keys}

    def key_for(self, integration: int) -> str:
        """The secret key that signs an integration's webhooks."""
        return self.keys.get(integration, self.config.secret_keys[0])

    async def deliver_due(self) -> int:
        """Send every due delivery once; return how many were attempted."""
        if not self.config.webhook_url:
            return 0
        claimed = await self._claim()
        if not claimed:
            return 0
        results = await asyncio.gather(*(self._send(c) for c in claimed))
        await self._record(claimed, results)
        return len(claimed)

    async def _claim(self) -> list[_Claimed]:
        now = clock.now()
        lease = now + timedelta(seconds=self.config.webhook_timeout + 5)
        async with unit_of_work(self.sessions) as session:
            rows: Sequence[WebhookDelivery] = (
                await session.scalars(
                    select(WebhookDelivery)
                    .where(WebhookDelivery.status == "pending")
                    .where(WebhookDelivery.next_attempt_at <= now)
                    .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                row.next_attempt_at = lease
            return [_Claimed(r.id, r.integration, r.body) for r in rows]

    async def _send(self, claimed: _Claimed) -> tuple[int | None, str | None]:
        raw = claimed.body.encode()
        headers = {
            "content-type": "application/json",
            "x-paystack-signature": sign(raw, self.key_for(claimed.integration)),
            "user-agent": "Paystack/1.0 (kro sandbox)",
        }
        try:
            response = await self.http.post(
                self.config.webhook_url,
                content=raw,
                headers=headers,
                timeout=self.config.webhook_timeout,
            )
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:300]
        return response.status_code, None

    async def _record(
        self, claimed: list[_Claimed], results: list[tuple[int | None, str | None]]
    ) -> None:
        now = clock.now()
        schedule = self.config.webhook_retry_schedule
        async with unit_of_work(self.sessions) as session:
            for item, (status_code, error) in zip(claimed, results, strict=True):
                row = await session.get(WebhookDelivery, item.id)
                if row is None or row.status != "pending":
                    continue
                row.attempt_count += 1
                row.attempts = [
                    *row.attempts,
                    {"at": iso(now), "status_code": status_code, "error": error},
                ]
                if status_code is not None and 200 <= status_code < 300:
                    row.status = "delivered"
                    row.delivered_at = now
                elif row.attempt_count <= len(schedule):
                    row.next_attempt_at = now + timedelta(seconds=schedule[row.attempt_count - 1])
                else:
                    row.status = "failed"
                log.info(
                    "paystack_webhook_attempt",
                    delivery=row.id,
                    webhook_event=row.event,
                    status_code=status_code,
                    error=error,
                    outcome=row.status,
                )
