"""Webhooks as Fincra sends them: stored, signed, delivered, retried.

- Body: compact JSON ``{"event": "charge.successful", "type": "charge", "data": {...}}``
  (amounts are major-unit numbers); the stored text is the exact bytes sent on every attempt.
- Header ``signature``: hex HMAC-SHA512 of that compact JSON keyed with the business's
  webhook secret key — Fincra's own sample computes it over ``JSON.stringify(payload)`` /
  ``json.dumps(payload, separators=(",", ":"))`` (docs.fincra.com/docs/validating-webhook).
- Any non-2xx answer, timeout or connection error is a failed attempt, retried after
  ``config.webhook_retry_schedule[n]`` seconds (Fincra's schedule is not documented [U]);
  after the last the delivery is ``failed``. Due times come from ``kro.kit.clock``.
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
from kro.sandbox.fincra.config import FincraSandboxConfig
from kro.sandbox.fincra.models import WebhookDelivery
from kro.sandbox.fincra.util import dumps, sign

log = structlog.get_logger("kro.sandbox.fincra.webhooks")
BATCH = 20


async def enqueue(
    session: AsyncSession, *, business_id: str, event: str, reference: str, payload: dict[str, Any]
) -> WebhookDelivery:
    """Store a webhook, due now; the delivery loop sends it. Only flushes."""
    now = clock.now()
    delivery = WebhookDelivery(
        business_id=business_id,
        event=event,
        reference=reference,
        body=dumps(payload),
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
    """A new delivery of the same bytes (a duplicate for the receiver). Only flushes."""
    now = clock.now()
    copy = WebhookDelivery(
        business_id=original.business_id,
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


@dataclass(frozen=True)
class _Claimed:
    id: int
    business_id: str
    body: str


class WebhookSender:
    """Sends due deliveries to ``config.webhook_url`` and records each attempt."""

    def __init__(
        self,
        config: FincraSandboxConfig,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.http = http

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
            return [_Claimed(r.id, r.business_id, r.body) for r in rows]

    async def _send(self, claimed: _Claimed) -> tuple[int | None, str | None]:
        merchant = self.config.by_business_id(claimed.business_id)
        secret = merchant.webhook_secret if merchant else ""
        raw = claimed.body.encode()
        headers = {
            "content-type": "application/json",
            "signature": sign(raw, secret),
            "user-agent": "Fincra-Webhooks/1.0 (kro sandbox)",
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
                    {"at": now.isoformat(), "status_code": status_code, "error": error},
                ]
                if status_code is not None and 200 <= status_code < 300:
                    row.status, row.delivered_at = "delivered", now
                elif row.attempt_count <= len(schedule):
                    row.next_attempt_at = now + timedelta(seconds=schedule[row.attempt_count - 1])
                else:
                    row.status = "failed"
                log.info(
                    "fincra_webhook_attempt",
                    delivery=row.id,
                    webhook_event=row.event,
                    status_code=status_code,
                    error=error,
                    outcome=row.status,
                )
