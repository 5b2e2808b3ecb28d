"""Remita as a :class:`kro.providers.base.PaymentProvider` (the platform's own account;
``merchant_api`` off): a hosted payment of an RRR, verified by ``status.reg``.

- ``create_charge`` generates an RRR (``provider_id``) for the amount and returns
  ``requires_action`` with the hosted page (``redirect_url``); the payer may also pay the RRR
  at a bank branch or in internet banking.
- ``get_charge`` asks ``status.reg`` by RRR (by our orderId when the RRR was lost): ``00``/``01``
  succeeded, ``021``/``025`` pending, anything else failed.
- Remita's payment notification is **not signed** (providers.md §4): ``verify_webhook`` cannot
  check anything, so a notification is only a hint and value moves only after the status check.

Not offered: manual capture, cancel, refunds (Remita refunds are manual), a list of payments.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

import httpx

from kro.kit.errors import BadRequest
from kro.providers.base import (
    ChargeRequest,
    ChargeStatus,
    CollectOnly,
    Credentials,
    ProviderCharge,
    WebhookHint,
)
from kro.providers.errors import ProviderRejected
from kro.providers.remita.client import PROVIDER, RemitaClient


class RemitaGateway(CollectOnly):
    """``credentials``: ``account_id`` = ``merchantId``, ``public_key`` = ``serviceTypeId``,
    ``secret_key`` = ``apiKey``."""

    NO_CAPTURE = "Remita has no capture"
    NO_CANCEL = "Remita has no authorization to cancel"
    NO_REFUND = "Remita refunds are not offered through this API"

    name: ClassVar[str] = PROVIDER
    supports_manual_capture: ClassVar[bool] = False
    _client: RemitaClient

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._client = RemitaClient(
            base_url,
            credentials.account_id or "",
            credentials.public_key or "",
            credentials.secret_key,
            timeout=timeout,
            http_client=http_client,
        )

    def __repr__(self) -> str:
        return f"RemitaGateway({self._client.base_url!r})"

    async def create_charge(self, request: ChargeRequest) -> ProviderCharge:
        """An RRR for ``request.amount`` kobo (naira only); our reference is the orderId, so a
        retry after a lost answer is refused as a duplicate (``028``) rather than paid twice."""
        if request.currency != "NGN" or request.capture_method == "manual":
            raise self._unsupported("create_charge", "Remita takes naira payments only")
        rrr = await self._client.generate_rrr(
            request.reference,
            request.amount,
            request.name or request.email,
            request.email,
            request.phone or "",
            (request.description or "KRO payment")[:100],
        )
        return ProviderCharge(
            reference=request.reference,
            status=ChargeStatus.REQUIRES_ACTION,
            amount=request.amount,
            currency="NGN",
            provider_id=rrr,
            redirect_url=self._client.pay_page(rrr, request.return_url),
        )

    async def get_charge(self, reference: str, provider_id: str | None) -> ProviderCharge:
        found = (
            await self._client.status(provider_id)
            if provider_id
            else await self._client.order_status(reference)
        )
        if found.paid:
            status = ChargeStatus.SUCCEEDED
        elif found.pending:
            status = ChargeStatus.PENDING
        else:
            status = ChargeStatus.FAILED
        return ProviderCharge(
            reference=reference,
            status=status,
            amount=found.amount,
            currency="NGN",
            provider_id=found.rrr or provider_id,
            amount_captured=found.amount if found.paid else 0,
            paid_at=found.paid_at,
            failure_reason=None if status != ChargeStatus.FAILED else found.message[:200],
        )

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> bool:
        """Always True: Remita does not sign (the status check is the only proof)."""
        return True

    @staticmethod
    def parse_webhook(body: bytes) -> WebhookHint:
        """A notification (a JSON array of payments; the first is read): its ``rrr``."""
        try:
            payload = json.loads(body, parse_float=Decimal)
            item = payload[0] if isinstance(payload, list) else payload
            rrr = str(item["rrr"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise BadRequest("Not a Remita payment notification.") from None
        return WebhookHint(
            event_key=rrr,
            event_type="payment",
            kind="charge",
            reference=str(item.get("orderId") or item.get("orderRef") or "") or None,
            provider_id=rrr,
        )


__all__ = ["ProviderRejected", "RemitaGateway"]
