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
  ``failed`` (:mod:`kro.sandbox.common.delivery`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.sandbox.common.delivery import DeliverySender, Outcome, add_copy, delivery_state
from kro.sandbox.providus.config import ProvidusSandboxConfig
from kro.sandbox.providus.models import Notification
from kro.sandbox.providus.util import signature

ACKNOWLEDGED = frozenset({"00", "01"})


async def resend(session: AsyncSession, original: Notification) -> Notification:
    """A new delivery of the same body (a duplicate for the receiver). Only flushes."""
    return await add_copy(session, original, "client_id", "settlement_id", "account_number")


def notification_data(n: Notification) -> dict[str, Any]:
    """A notification as the control API lists it (body included as parsed JSON)."""
    return {
        "id": n.id,
        "client_id": n.client_id,
        "settlement_id": n.settlement_id,
        "account_number": n.account_number,
        **delivery_state(n),
        "payload": json.loads(n.body),
    }


class NotificationSender(DeliverySender):
    """Sends due notifications to ``config.notification_url`` with the merchant's static
    ``Client-Id`` / ``X-Auth-Signature``; acknowledged by HTTP 200 and ``responseCode``
    ``00`` or ``01``."""

    model = Notification
    event = "providus_notification_attempt"
    extra_fields = ("response_code",)

    def __init__(
        self,
        config: ProvidusSandboxConfig,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
    ) -> None:
        super().__init__(sessions, http, "kro.sandbox.providus.notifications")
        self.config = config

    @property
    def url(self) -> str:
        return self.config.notification_url

    @property
    def timeout(self) -> float:
        return self.config.notification_timeout

    @property
    def schedule(self) -> Sequence[float]:
        return self.config.notification_retry_schedule

    def headers(self, row: Notification) -> dict[str, str]:
        secret = self.config.clients.get(row.client_id, "")
        return {
            "Content-Type": "application/json",
            "Client-Id": row.client_id,
            "X-Auth-Signature": signature(row.client_id, secret),
            "User-Agent": "Providus-DCS/1.0 (kro sandbox)",
        }

    def judge(self, response: httpx.Response) -> Outcome:
        try:
            reply = response.json()
        except ValueError:
            reply = None
        code = reply.get("responseCode") if isinstance(reply, dict) else None
        code = code if isinstance(code, str) else None
        return Outcome(
            response.status_code,
            acknowledged=response.status_code == 200 and code in ACKNOWLEDGED,
            extra={"response_code": code},
        )

    def describe(self, row: Notification) -> dict[str, Any]:
        return {"notification": row.id, "settlement_id": row.settlement_id}
