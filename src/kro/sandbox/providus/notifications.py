"""Settlement notifications as Providus sends them: stored, signed, delivered, retried.

- Body: the compact JSON of :func:`kro.sandbox.providus.settlements.payload` (amounts as naira
  strings); the stored text is the exact bytes sent on every attempt.
- Headers ``Client-Id`` and ``X-Auth-Signature`` (upper-case hex SHA-512 of
  ``"client_id:client_secret"`` of the merchant the account belongs to) — static, not bound to
  the body.
- The merchant acknowledges with HTTP 200 and ``{"responseCode": "00"}`` (accepted) or
  ``"01"`` (duplicate). Anything else — ``02`` rejected, ``03`` system failure, another status,
  an unreadable body, a timeout — is a failed attempt, retried after
  ``config.notification_retry_schedule[n]`` seconds; after the last the notification is
  ``failed``. Due times come from ``kro.kit.clock``.
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
from kro.sandbox.providus.config import ProvidusSandboxConfig
from kro.sandbox.providus.models import Notification
from kro.sandbox.providus.util import signature

log = structlog.get_logger("kro.sandbox.providus.notifications")
BATCH = 20
ACKNOWLEDGED = frozenset({"00", "01"})


async def resend(session: AsyncSession, original: Notification) -> Notification:
    """A new delivery of the same body (a duplicate for the receiver). Only flushes."""
    now = clock.now()
    copy = Notification(
        client_id=original.client_id,
        settlement_id=original.settlement_id,
        account_number=original.account_number,
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


def notification_data(n: Notification) -> dict[str, Any]:
    """A notification as the control API lists it (body included as parsed JSON)."""
    return {
        "id": n.id,
        "client_id": n.client_id,
        "settlement_id": n.settlement_id,
        "account_number": n.account_number,
        "status": n.status,
        "attempt_count": n.attempt_count,
        "attempts": n.attempts,
        "next_attempt_at": n.next_attempt_at.isoformat() if n.status == "pending" else None,
        "resent_from": n.resent_from,
        "created_at": n.created_at.isoformat(),
        "delivered_at": n.delivered_at.isoformat() if n.delivered_at else None,
        "payload": json.loads(n.body),
    }


@dataclass(frozen=True)
class _Claimed:
    id: int
    client_id: str
    body: str


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    response_code: str | None
    error: str | None

    @property
    def acknowledged(self) -> bool:
        return self.status_code == 200 and self.response_code in ACKNOWLEDGED


class NotificationSender:
    """Sends due notifications to ``config.notification_url`` and records each attempt."""

    def __init__(
        self,
        config: ProvidusSandboxConfig,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.http = http

    async def deliver_due(self) -> int:
        """Send every due notification once; return how many were attempted."""
        if not self.config.notification_url:
            return 0
        claimed = await self._claim()
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._send(c) for c in claimed))
        await self._record(claimed, outcomes)
        return len(claimed)

    async def _claim(self) -> list[_Claimed]:
        now = clock.now()
        lease = now + timedelta(seconds=self.config.notification_timeout + 5)
        async with unit_of_work(self.sessions) as session:
            rows: Sequence[Notification] = (
                await session.scalars(
                    select(Notification)
                    .where(Notification.status == "pending")
                    .where(Notification.next_attempt_at <= now)
                    .order_by(Notification.next_attempt_at, Notification.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                row.next_attempt_at = lease
            return [_Claimed(r.id, r.client_id, r.body) for r in rows]

    async def _send(self, claimed: _Claimed) -> _Outcome:
        secret = self.config.clients.get(claimed.client_id, "")
        headers = {
            "Content-Type": "application/json",
            "Client-Id": claimed.client_id,
            "X-Auth-Signature": signature(claimed.client_id, secret),
            "User-Agent": "Providus-DCS/1.0 (kro sandbox)",
        }
        try:
            response = await self.http.post(
                self.config.notification_url,
                content=claimed.body.encode(),
                headers=headers,
                timeout=self.config.notification_timeout,
            )
        except httpx.HTTPError as exc:
            return _Outcome(None, None, f"{type(exc).__name__}: {exc}"[:300])
        try:
            reply = response.json()
        except ValueError:
            reply = None
        code = reply.get("responseCode") if isinstance(reply, dict) else None
        return _Outcome(response.status_code, code if isinstance(code, str) else None, None)

    async def _record(self, claimed: list[_Claimed], outcomes: list[_Outcome]) -> None:
        now = clock.now()
        schedule = self.config.notification_retry_schedule
        async with unit_of_work(self.sessions) as session:
            for item, outcome in zip(claimed, outcomes, strict=True):
                row = await session.get(Notification, item.id)
                if row is None or row.status != "pending":
                    continue
                row.attempt_count += 1
                row.attempts = [
                    *row.attempts,
                    {
                        "at": now.isoformat(),
                        "status_code": outcome.status_code,
                        "response_code": outcome.response_code,
                        "error": outcome.error,
                    },
                ]
                if outcome.acknowledged:
                    row.status, row.delivered_at = "delivered", now
                elif row.attempt_count <= len(schedule):
                    row.next_attempt_at = now + timedelta(seconds=schedule[row.attempt_count - 1])
                else:
                    row.status = "failed"
                log.info(
                    "providus_notification_attempt",
                    notification=row.id,
                    settlement_id=row.settlement_id,
                    status_code=outcome.status_code,
                    response_code=outcome.response_code,
                    error=outcome.error,
                    outcome=row.status,
                )
