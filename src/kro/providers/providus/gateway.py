"""Providus Bank as a :class:`kro.providers.base.PaymentProvider`: bank transfer into a
dynamic account (``PiPCreateDynamicAccountNumber``) is its one payment method; settlements are
verified with ``PiPverifyTransaction`` (minor units: kobo).

- ``create_charge`` opens a one-time account: ``requires_action`` with ``bank_account``
  (``bank_name``, ``account_number``, ``account_name``) for the payer to transfer to, and
  Providus's ``initiationTranRef`` as ``provider_id``.
- ``get_charge(reference, provider_id)``: Providus cannot be asked about an account, only about
  a settlement, so ``provider_id`` is the **settlement id** a notification named; without one
  the charge is ``pending`` (nothing known yet). A verified settlement is ``succeeded`` with
  ``amount`` = what the payer sent (any amount: over- and under-payments are the payments
  core's rules), ``fee`` = Providus's fee and VAT, ``bank_account`` = the account it arrived in.
- Notifications carry a static ``X-Auth-Signature`` (SHA-512 of ``client_id:client_secret``),
  not bound to the body: they are only a hint, and the settlement is always verified.

Not offered: manual capture, refunds (a bank transfer is given back to the payer's wallet),
a list of transfers (``list_charges`` returns none). Sources: providers.md 5.2.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

import httpx

from kro.providers.base import (
    ChargeRequest,
    ChargeStatus,
    CollectOnly,
    Credentials,
    ProviderCharge,
    WebhookHint,
)
from kro.providers.providus.client import PROVIDER, ProvidusClient
from kro.providers.providus.webhooks import parse_notification, verify_signature

BANK_NAME = "Providus Bank"


def webhook_hint(body: bytes) -> WebhookHint:
    """What a settlement notification says (raises ``InvalidNotification``, a BadRequest):
    kind ``charge``, ``provider_id`` = ``settlementId``, ``account`` = ``accountNumber``;
    the inbox key is the settlement id (Providus dedupes on it)."""
    settlement = parse_notification(body)
    return WebhookHint(
        event_key=settlement.settlement_id,
        event_type="settlement",
        kind="charge",
        provider_id=settlement.settlement_id,
        account=settlement.account_number,
    )


class ProvidusGateway(CollectOnly):
    """Providus behind :class:`kro.providers.base.PaymentProvider`. Use as ``async with``.

    ``credentials``: ``account_id`` = the ``Client-Id``, ``secret_key`` = the client secret.
    Raises only :mod:`kro.providers.errors`.
    """

    NO_CAPTURE = "a bank transfer has no capture"
    NO_CANCEL = "a bank transfer has no authorization to cancel"
    NO_REFUND = "Providus has no refund of a bank transfer"

    name: ClassVar[str] = PROVIDER
    supports_manual_capture: ClassVar[bool] = False
    _client: ProvidusClient

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._client_id = credentials.account_id or ""
        self._secret = credentials.secret_key
        self._client = ProvidusClient(
            base_url, self._client_id, self._secret, timeout=timeout, http_client=http_client
        )

    def __repr__(self) -> str:
        return f"ProvidusGateway({self._client.base_url!r})"

    async def create_charge(self, request: ChargeRequest) -> ProviderCharge:
        """A one-time account named after the payment (``request.description``, else the
        payer's name) for ``request.amount`` kobo. Naira only (``ProviderRejected``
        ``not_supported`` otherwise). Opening an account moves no money: a retry is harmless."""
        if request.currency != "NGN" or request.capture_method == "manual":
            raise self._unsupported("create_charge", "Providus takes naira bank transfers only")
        name = request.description or request.name or "KRO payment"
        account = await self._client.create_dynamic_account(name[:200])
        return ProviderCharge(
            reference=request.reference,
            status=ChargeStatus.REQUIRES_ACTION,
            amount=request.amount,
            currency=request.currency,
            provider_id=account.initiation_tran_ref,
            bank_account={
                "bank_name": BANK_NAME,
                "account_number": account.account_number,
                "account_name": account.account_name,
            },
        )

    async def get_charge(self, reference: str, provider_id: str | None) -> ProviderCharge:
        """The settlement ``provider_id`` names, verified (see the module docstring); without
        a settlement id, ``pending``. Unknown settlement → ProviderRejected
        (``transaction_not_found``)."""
        if not provider_id:
            return ProviderCharge(reference, ChargeStatus.PENDING, 0, "NGN")
        verified = await self._client.verify_transaction(settlement_id=provider_id)
        return ProviderCharge(
            reference=reference,
            status=ChargeStatus.SUCCEEDED,
            amount=verified.transaction_amount,
            currency=verified.currency,
            provider_id=verified.settlement_id,
            amount_captured=verified.transaction_amount,
            fee=verified.fees,
            paid_at=verified.tran_date_time,
            bank_account={"bank_name": BANK_NAME, "account_number": verified.account_number},
        )

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> bool:
        """``Client-Id`` and the static ``X-Auth-Signature``, compared in constant time."""
        return verify_signature(headers, self._client_id, self._secret)

    @staticmethod
    def parse_webhook(body: bytes) -> WebhookHint:
        """:func:`webhook_hint`; needs no credentials (callable on the class)."""
        return webhook_hint(body)
