"""Paystack as a :class:`kro.providers.base.PaymentProvider`: the hosted checkout, verify,
refunds, the transaction list and webhooks, in provider-neutral shapes (amounts in kobo).

Status mapping (``Transaction.status`` → :class:`ChargeStatus`; paystack.com/docs/api/transaction
and reference/providers.md section 1.2):

==================================================  =========================================
Paystack                                            Ours
==================================================  =========================================
``success``                                         ``succeeded`` (``amount_captured`` = amount,
                                                    ``fee`` = ``fees``)
``reversed`` (fully refunded or reversed later)     ``succeeded``: the money *was* taken; the
                                                    refunds are tracked as refunds
``failed`` (declined)                               ``failed``, ``gateway_response`` as reason
``abandoned``                                       ``pending`` (see below)
``ongoing`` ``pending`` ``processing`` ``queued``   ``pending``
``send_pin`` ``send_otp`` ``send_phone``            ``requires_action``
``send_birthday`` ``send_address`` ``open_url``
``pay_offline``
anything else                                       ``pending`` (never value, never a failure,
                                                    on a status we do not know)
==================================================  =========================================

``abandoned`` is what Paystack (and the sandbox) call every initialized transaction the
customer has not completed *yet*: the checkout link still works and the same transaction can
still succeed. It is therefore ``pending``, not ``failed``; when to give up on a charge that
stays pending is the orchestration's decision, by its age, not a provider status.

Refund statuses: ``pending`` ``processing`` ``needs-attention`` → ``pending``; ``processed`` →
``succeeded``; ``failed`` → ``failed``.

Paystack has no manual capture (``supports_manual_capture = False``) and no idempotency key on
``POST /refund``: :meth:`PaystackGateway.refund` stores our refund key as the refund's
``merchant_note`` and looks for it before creating one. Webhooks are signed with the secret
key (:func:`kro.providers.paystack.webhooks.verify_signature`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal

import httpx
from pydantic import ValidationError

from kro.kit.errors import BadRequest
from kro.providers.base import (
    ChargeRequest,
    ChargeStatus,
    ClientAdapter,
    Credentials,
    ProviderCharge,
    ProviderRefund,
    ProviderSubscription,
    RefundStatus,
    WebhookHint,
)
from kro.providers.errors import ProviderRejected
from kro.providers.paystack.client import PROVIDER, PaystackClient
from kro.providers.paystack.schemas import Refund, Subscription, Transaction
from kro.providers.paystack.webhooks import event_key, parse_event, verify_signature

SIGNATURE_HEADER = "x-paystack-signature"

_CHARGE_STATUS: dict[str, ChargeStatus] = {
    "success": ChargeStatus.SUCCEEDED,
    "reversed": ChargeStatus.SUCCEEDED,
    "failed": ChargeStatus.FAILED,
    "abandoned": ChargeStatus.PENDING,
    "ongoing": ChargeStatus.PENDING,
    "pending": ChargeStatus.PENDING,
    "processing": ChargeStatus.PENDING,
    "queued": ChargeStatus.PENDING,
    **dict.fromkeys(
        (
            "send_pin",
            "send_otp",
            "send_phone",
            "send_birthday",
            "send_address",
            "open_url",
            "pay_offline",
        ),
        ChargeStatus.REQUIRES_ACTION,
    ),
}

_REFUND_STATUS: dict[str, RefundStatus] = {
    "pending": RefundStatus.PENDING,
    "processing": RefundStatus.PENDING,
    "needs-attention": RefundStatus.PENDING,
    "processed": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
}


def charge_status(paystack_status: str) -> ChargeStatus:
    """Our status for a Paystack transaction ``status`` (table above; unknown → pending)."""
    return _CHARGE_STATUS.get(paystack_status, ChargeStatus.PENDING)


def refund_status(paystack_status: str) -> RefundStatus:
    """Our status for a Paystack refund ``status`` (unknown → pending)."""
    return _REFUND_STATUS.get(paystack_status, RefundStatus.PENDING)


def charge_of(tx: Transaction) -> ProviderCharge:
    """A verified (or listed) Paystack transaction as a :class:`ProviderCharge` (kobo)."""
    status = charge_status(tx.status)
    taken = status is ChargeStatus.SUCCEEDED
    return ProviderCharge(
        reference=tx.reference,
        status=status,
        amount=tx.amount,
        currency=tx.currency,
        provider_id=str(tx.id),
        amount_captured=tx.amount if taken else 0,
        fee=(tx.fees or 0) if taken else 0,
        failure_reason=(tx.gateway_response or "Declined")
        if status is ChargeStatus.FAILED
        else None,
        paid_at=tx.paid_at,
        created_at=tx.created_at,
    )


def refund_of(refund: Refund) -> ProviderRefund:
    """A Paystack refund as a :class:`ProviderRefund` (kobo)."""
    status = refund_status(refund.status)
    return ProviderRefund(
        provider_refund_id=str(refund.id),
        status=status,
        amount=refund.amount,
        currency=refund.currency,
        failure_reason="Paystack could not process the refund"
        if status is RefundStatus.FAILED
        else None,
    )


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def webhook_hint(body: bytes) -> WebhookHint:
    """What a Paystack webhook body says (no key needed; raises ``InvalidWebhookPayload``, a
    ``BadRequest``, if it is not an event).

    ``charge.*`` → kind ``charge``: ``reference`` = ``data.reference``, ``provider_id`` =
    ``data.id`` (for ``charge.dispute.*``, whose ``data`` is the dispute, both come from
    ``data.transaction``). ``refund.*`` → kind ``refund``: ``reference`` =
    ``data.transaction_reference``, ``refund_id`` = ``data.id`` (absent from some of Paystack's
    refund events: then None). Anything else → ``other`` with ``data.reference``.
    """
    event = parse_event(body)
    data = event.data
    name = event.event
    kind: Literal["charge", "refund", "other"] = "other"
    reference = _text(data.get("reference"))
    provider_id: str | None = None
    refund_id: str | None = None
    if name.startswith("charge."):
        kind = "charge"
        source = data.get("transaction") if name.startswith("charge.dispute.") else data
        source = source if isinstance(source, dict) else {}
        reference = _text(source.get("reference")) or reference
        provider_id = _text(source.get("id"))
    elif name.startswith("refund."):
        kind = "refund"
        reference = _text(data.get("transaction_reference"))
        refund_id = _text(data.get("id"))
    return WebhookHint(
        event_key=event_key(event),
        event_type=name,
        kind=kind,
        reference=reference,
        provider_id=provider_id,
        refund_id=refund_id,
    )


class PaystackGateway(ClientAdapter):
    """Paystack behind :class:`kro.providers.base.PaymentProvider`. Use as ``async with``.

    ``base_url``: ``https://api.paystack.co`` or the sandbox. ``credentials.secret_key``: the
    ``sk_…`` key, which also signs Paystack's webhooks. ``timeout``: read timeout in seconds.
    ``http_client``: a shared ``httpx.AsyncClient`` (not closed here). Raises only
    :mod:`kro.providers.errors` (from :class:`PaystackClient`), and ``ProviderRejected`` for
    what Paystack cannot do (manual capture; no request is sent, ``provider_status`` 0).
    """

    name: ClassVar[str] = PROVIDER
    supports_manual_capture: ClassVar[bool] = False
    _client: PaystackClient

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._secret_key = credentials.secret_key
        self._client = PaystackClient(
            base_url, credentials.secret_key, timeout=timeout, http_client=http_client
        )

    def __repr__(self) -> str:
        return f"PaystackGateway({self._client.base_url!r})"

    # Charges --------------------------------------------------------------------------------

    async def create_charge(self, request: ChargeRequest) -> ProviderCharge:
        """``POST /transaction/initialize`` with our reference: ``pending`` with the hosted
        checkout as ``redirect_url`` (no provider id until verified).

        A retry after an unknown outcome is safe: the reference is Paystack's idempotency key
        ("Duplicate Transaction Reference"), and then the existing transaction is returned if
        it has the same amount and currency (its ``redirect_url`` is unknown: None).
        """
        if request.capture_method == "manual":
            raise self._unsupported("create_charge", "Paystack has no manual capture")
        try:
            init = await self._client.initialize_transaction(
                request.email,
                request.amount,
                request.currency,
                request.reference,
                callback_url=request.return_url,
                metadata=self._metadata(request),
                plan=request.plan,
            )
        except ProviderRejected as exc:
            duplicate = exc.provider_code == "duplicate_reference" or (
                exc.message == "Duplicate Transaction Reference"
            )
            if not duplicate:
                raise
            existing = await self.get_charge(request.reference, None)
            if (existing.amount, existing.currency) != (request.amount, request.currency):
                raise
            return existing
        return ProviderCharge(
            reference=init.reference,
            status=ChargeStatus.PENDING,
            amount=request.amount,
            currency=request.currency,
            redirect_url=init.authorization_url,
        )

    @staticmethod
    def _metadata(request: ChargeRequest) -> dict[str, Any]:
        """Paystack's free-form ``metadata``: the caller's, plus our reference and what
        ``initialize`` has no field for (name, phone, description)."""
        metadata: dict[str, Any] = {**request.metadata, "kro_reference": request.reference}
        for key, value in (
            ("customer_name", request.name),
            ("customer_phone", request.phone),
            ("description", request.description),
        ):
            if value:
                metadata[key] = value
        return metadata

    async def get_charge(self, reference: str, provider_id: str | None) -> ProviderCharge:
        """``GET /transaction/verify/:reference`` (Paystack: verify before value). Unknown
        reference → ProviderRejected (``transaction_not_found``)."""
        return charge_of(await self._client.verify_transaction(reference))

    async def capture(self, reference: str, provider_id: str, amount: int) -> ProviderCharge:
        raise self._unsupported("capture", "Paystack has no manual capture")

    async def cancel(self, reference: str, provider_id: str) -> ProviderCharge:
        raise self._unsupported("cancel", "Paystack has no manual capture to cancel")

    async def list_charges(self, start: datetime, end: datetime) -> list[ProviderCharge]:
        """``GET /transaction`` for ``[start, end)`` on ``created_at``, every page."""
        return [charge_of(tx) for tx in await self._client.list_transactions(start, end)]

    # Refunds --------------------------------------------------------------------------------

    async def refund(
        self, reference: str, provider_id: str | None, amount: int, currency: str, refund_key: str
    ) -> ProviderRefund:
        """Refund ``amount`` kobo of the transaction, at most once per ``refund_key``.

        ``POST /refund`` takes no idempotency key, so ``refund_key`` goes in ``merchant_note``
        and the transaction's refunds (``GET /refund?transaction=<id>``) are searched for it
        first: a retry after a ProviderTimeout returns the refund already made, whatever its
        amount. Two calls with one key must not run concurrently (the caller's job does one at a
        time). The transaction id is ``provider_id``, or looked up by verifying ``reference``.
        """
        transaction_id = provider_id or str((await self._client.verify_transaction(reference)).id)
        for existing in await self._client.list_refunds(transaction_id):
            if existing.merchant_note == refund_key:
                return refund_of(existing)
        created = await self._client.refund(
            transaction_id, amount, currency=currency, merchant_note=refund_key
        )
        return refund_of(created)

    async def get_refund(self, provider_refund_id: str) -> ProviderRefund:
        """``GET /refund/:id``. Unknown → ProviderRejected (404)."""
        return refund_of(await self._client.fetch_refund(provider_refund_id))

    # Plans and subscriptions (kro.providers.base.RecurringProvider) ---------------------------

    async def create_plan(self, name: str, amount: int, currency: str, interval: str) -> str:
        """``POST /plan``; its ``plan_code``."""
        return (await self._client.create_plan(name, amount, interval, currency)).plan_code

    async def subscribe(
        self, customer_email: str, plan: str, start: datetime | None
    ) -> ProviderSubscription:
        """``POST /subscription`` with the card Paystack holds for ``customer_email``."""
        return subscription_of(await self._client.create_subscription(customer_email, plan, start))

    async def get_subscription(self, code: str) -> ProviderSubscription:
        """``GET /subscription/:code``."""
        return subscription_of(await self._client.fetch_subscription(code))

    async def disable_subscription(self, code: str, token: str) -> None:
        """``POST /subscription/disable`` with the subscription's ``email_token``."""
        await self._client.disable_subscription(code, token)

    @staticmethod
    def parse_subscription(data: Mapping[str, Any]) -> ProviderSubscription:
        """A ``subscription.*`` event's ``data``; BadRequest if it is not one."""
        try:
            return subscription_of(Subscription.model_validate(data))
        except ValidationError:
            raise BadRequest("Not a Paystack subscription.") from None

    # Webhooks -------------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> bool:
        """``x-paystack-signature`` = HMAC-SHA512(secret key, raw body), constant time. Paystack
        signs no timestamp, so ``now`` is unused (replays are stopped by the inbox's key)."""
        signature = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
        return verify_signature(body, signature, self._secret_key)

    @staticmethod
    def parse_webhook(body: bytes) -> WebhookHint:
        """:func:`webhook_hint`; needs no credentials (callable on the class)."""
        return webhook_hint(body)


def subscription_of(sub: Subscription) -> ProviderSubscription:
    """A Paystack subscription in provider-neutral terms (amount in kobo)."""
    return ProviderSubscription(
        code=sub.subscription_code,
        token=sub.email_token,
        status=sub.status,
        amount=sub.amount,
        plan=sub.plan.plan_code,
        customer_email=str(sub.customer.get("email") or ""),
        next_payment_at=sub.next_payment_date,
    )
