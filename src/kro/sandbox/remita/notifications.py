"""Payment notifications as Remita sends them: a POST of a JSON **array** to the merchant's
notification URL, unsigned (providers.md §4: "the notification is not signed, so the receiver
should re-query status.reg before crediting").

- Body: one payment per notification, with the fields integrations read — ``rrr``,
  ``channnel`` (sic) and ``channel``, ``amount`` (naira string), ``transactiondate``,
  ``debitdate``, ``bank``, ``branch``, ``serviceTypeId``, ``orderRef``, ``orderId``,
  ``payerName``, ``payerPhoneNumber``, ``payerEmail``, ``type``, ``paymentDescription``.
- Acknowledged by any 2xx; anything else, a timeout or no answer is retried after
  ``schedule[n]`` seconds [U: Remita's retry schedule is not published; ours is a setting of
  the simulator] (:mod:`kro.sandbox.common.delivery`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.sandbox.common.delivery import DeliverySender, add_due
from kro.sandbox.remita.models import RemitaNotification, RemitaPayment

DATE_FORMAT = "%d/%m/%Y %H:%M:%S"  # Remita writes dd/MM/yyyy HH:mm:ss [U]


def notification_body(payment: RemitaPayment) -> str:
    """The array Remita posts for a paid RRR (one element)."""
    when = payment.paid_at.strftime(DATE_FORMAT) if payment.paid_at else ""
    item: dict[str, Any] = {
        "rrr": payment.rrr,
        "channnel": payment.channel or "",
        "channel": payment.channel or "",
        "amount": f"{Decimal(payment.amount) / 100:.2f}",
        "transactiondate": when,
        "debitdate": when,
        "bank": "058" if payment.channel == "BRANCH" else "",
        "branch": "",
        "serviceTypeId": payment.service_type_id,
        "orderRef": payment.order_id,
        "orderId": payment.order_id,
        "payerName": payment.payer_name,
        "payerPhoneNumber": payment.payer_phone,
        "payerEmail": payment.payer_email,
        "type": "PY",
        "paymentDescription": payment.description,
    }
    return json.dumps([item], separators=(",", ":"))


async def add_notification(session: AsyncSession, payment: RemitaPayment) -> RemitaNotification:
    """Queue the notification of a just-paid RRR in the same transaction. Only flushes."""
    row = RemitaNotification(rrr=payment.rrr, body=notification_body(payment))
    return await add_due(session, row)


class NotificationSender(DeliverySender):
    """Sends due notifications to ``url``, unsigned, as JSON; any 2xx acknowledges."""

    model = RemitaNotification
    event = "remita_notification_attempt"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        url: str,
        schedule: Sequence[float],
        timeout: float,
    ) -> None:
        super().__init__(sessions, http, "kro.sandbox.remita.notifications")
        self._url, self._schedule, self._timeout = url, schedule, timeout

    @property
    def url(self) -> str:
        return self._url

    @property
    def timeout(self) -> float:
        return self._timeout

    @property
    def schedule(self) -> Sequence[float]:
        return self._schedule

    def headers(self, row: RemitaNotification) -> dict[str, str]:
        return {"Content-Type": "application/json", "User-Agent": "Remita (kro sandbox)"}

    def describe(self, row: RemitaNotification) -> dict[str, Any]:
        return {"notification": row.id, "rrr": row.rrr}
