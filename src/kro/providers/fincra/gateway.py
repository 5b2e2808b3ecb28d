"""Fincra as a :class:`kro.providers.base.PaymentProvider`: the hosted checkout (card and bank
transfer), verify by our reference, and webhooks, in provider-neutral shapes (minor units).

Status mapping (verify's ``status`` → :class:`ChargeStatus`; docs.fincra.com checkout):

=====================================  ======================================================
Fincra                                 Ours
=====================================  ======================================================
``success``                            ``succeeded``: ``amount`` = what arrived
                                       (``amountReceived``), ``fee`` = Fincra's fee, VAT in
``pending`` ``initiated``              ``pending`` (the checkout link still works)
``processing``
``failed`` ``expired`` ``cancelled``   ``failed``
anything else                          ``pending`` (never value on a status we do not know)
=====================================  ======================================================

A verified payment that names another merchant reference or another business is not ours:
``ProviderRejected`` (``payment_not_found``), exactly as a reference Fincra does not know.

What Fincra does not offer through this adapter: manual capture, and refunds — no refund API
for checkout payments could be confirmed in Fincra's public docs, so ``refund`` is refused
(``not_supported``) and the payments core refunds a Fincra collection to the payer's wallet.
Nor a list of checkout payments: ``list_charges`` returns none, so reconciliation verifies
every payment of the day by its reference instead.
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
from kro.providers.errors import ProviderRejected
from kro.providers.fincra.client import PAYMENT_NOT_FOUND, PROVIDER, FincraClient
from kro.providers.fincra.schemas import PENDING_STATUSES, FincraPayment
from kro.providers.fincra.webhooks import event_key, parse_event, verify_signature

SIGNATURE_HEADER = "signature"
_FAILED = frozenset({"failed", "expired", "cancelled", "canceled", "declined"})


def charge_status(fincra_status: str) -> ChargeStatus:
    """Our status for a Fincra checkout payment ``status`` (table above)."""
    status = fincra_status.lower()
    if status == "success":
        return ChargeStatus.SUCCEEDED
    if status in _FAILED:
        return ChargeStatus.FAILED
    if status in PENDING_STATUSES:
        return ChargeStatus.PENDING
    return ChargeStatus.PENDING


def charge_of(payment: FincraPayment, reference: str) -> ProviderCharge:
    """A verified Fincra payment as a :class:`ProviderCharge` (minor units)."""
    status = charge_status(payment.status)
    taken = status is ChargeStatus.SUCCEEDED
    received = payment.received if taken else payment.amount
    return ProviderCharge(
        reference=payment.merchant_reference or reference,
        status=status,
        amount=received,
        currency=payment.currency,
        provider_id=str(payment.charge_reference or payment.reference or "") or None,
        amount_captured=received if taken else 0,
        fee=payment.fee if taken else 0,
        failure_reason=f"Fincra says {payment.status}" if status is ChargeStatus.FAILED else None,
        paid_at=payment.updated_at if taken else None,
        created_at=payment.created_at,
    )


def webhook_hint(body: bytes) -> WebhookHint:
    """What a Fincra webhook says (no key needed; raises ``InvalidWebhookPayload``, a
    ``BadRequest``). ``charge.*`` → kind ``charge`` with ``reference`` = ``merchantReference``
    and ``provider_id`` = ``chargeReference``; anything else → ``other``."""
    event = parse_event(body)
    data = event.data
    kind = "charge" if event.event.startswith("charge.") else "other"
    reference = data.get("merchantReference")
    provider_id = data.get("chargeReference")
    return WebhookHint(
        event_key=event_key(event),
        event_type=event.event,
        kind="charge" if kind == "charge" else "other",
        reference=str(reference) if reference not in (None, "") else None,
        provider_id=str(provider_id) if provider_id not in (None, "") else None,
    )


class FincraGateway(CollectOnly):
    """Fincra behind :class:`kro.providers.base.PaymentProvider`. Use as ``async with``.

    ``credentials``: ``secret_key`` (``api-key``), ``public_key`` (``x-pub-key``, to create a
    checkout), ``account_id`` (the business id, ``x-business-id``, to verify) and
    ``webhook_secret`` (signs Fincra's webhooks). Raises only :mod:`kro.providers.errors`.
    """

    NO_CAPTURE = "Fincra has no manual capture"
    NO_CANCEL = "Fincra has no manual capture to cancel"
    NO_REFUND = "Fincra checkout refunds are not integrated"

    name: ClassVar[str] = PROVIDER
    supports_manual_capture: ClassVar[bool] = False
    _client: FincraClient

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._webhook_secret = credentials.webhook_secret or ""
        self._client = FincraClient(
            base_url,
            credentials.secret_key,
            credentials.public_key or "",
            credentials.account_id or "",
            timeout=timeout,
            http_client=http_client,
        )

    def __repr__(self) -> str:
        return f"FincraGateway({self._client.base_url!r})"

    async def create_charge(self, request: ChargeRequest) -> ProviderCharge:
        """``POST /checkout/payments`` with our reference: ``pending`` with the checkout
        ``link`` as ``redirect_url``. The fee is borne by the business, so the customer pays
        exactly ``request.amount``. Fincra requires a customer name: ``request.name``, else
        the email. Creating a checkout moves no money, so a retry is harmless."""
        if request.capture_method == "manual":
            raise self._unsupported("create_charge", "Fincra has no manual capture")
        link = await self._client.initiate_checkout(
            amount=request.amount,
            currency=request.currency,
            reference=request.reference,
            customer_name=(request.name or request.email)[:200],
            customer_email=request.email,
            customer_phone=request.phone,
            redirect_url=request.return_url,
            metadata={**request.metadata, "kro_reference": request.reference},
        )
        return ProviderCharge(
            reference=request.reference,
            status=ChargeStatus.PENDING,
            amount=request.amount,
            currency=request.currency,
            provider_id=None,
            redirect_url=link.link,
        )

    async def get_charge(self, reference: str, provider_id: str | None) -> ProviderCharge:
        """``GET /checkout/payments/merchant-reference/{reference}`` (verify before value).
        Unknown, or another merchant's → ProviderRejected (``payment_not_found``)."""
        verified = await self._client.verify_payment(reference)
        if verified.merchant_reference not in (None, reference) or verified.business_id not in (
            None,
            self._client.business_id,
        ):
            raise ProviderRejected(
                "Fincra returned a payment that is not this one.",
                provider=PROVIDER,
                operation="verify",
                provider_status=200,
                provider_code=PAYMENT_NOT_FOUND,
            )
        return charge_of(verified, reference)

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> bool:
        """``signature`` = hex HMAC-SHA512(webhook secret, compact JSON body), constant time.
        Fincra signs no timestamp (replays are stopped by the inbox's key)."""
        signature = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
        return verify_signature(body, signature, self._webhook_secret)

    @staticmethod
    def parse_webhook(body: bytes) -> WebhookHint:
        """:func:`webhook_hint`; needs no credentials (callable on the class)."""
        return webhook_hint(body)
