"""``FlutterwaveGateway``: Flutterwave v3 behind the :class:`kro.providers.base.PaymentProvider`
interface (standard hosted checkout, verify, refunds, list for reconciliation, webhooks).

- ``create_charge`` opens a hosted payment and answers ``pending`` with ``redirect_url`` = the
  link and ``provider_id=None``: Flutterwave's transaction id is learnt from verify, the
  redirect (``transaction_id``) or the webhook. ``get_charge`` verifies by id when it has one,
  else by our reference (``tx_ref``), and checks the transaction is for that reference.
- No manual capture: ``capture`` / ``cancel`` raise ProviderRejected without a request.
- Statuses: ``successful`` → SUCCEEDED, ``failed`` / ``cancelled`` → FAILED, anything else
  (``pending``) → PENDING. Fee: ``app_fee`` in minor units.
- Refunds carry our ``refund_key`` in ``comments``; Flutterwave has no idempotency key for
  refunds, so ``refund`` looks for a refund with that key before making one (at most one
  refund per key). Refund ``completed`` → SUCCEEDED, ``failed`` → FAILED, else PENDING.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Literal, NoReturn

import httpx

from kro.providers.base import (
    ChargeRequest,
    ChargeStatus,
    Credentials,
    ProviderCharge,
    ProviderRefund,
    RefundStatus,
    WebhookHint,
)
from kro.providers.errors import ProviderRejected
from kro.providers.flutterwave.client import PROVIDER, FlutterwaveClient
from kro.providers.flutterwave.schemas import FlutterwaveRefund, FlutterwaveTransaction
from kro.providers.flutterwave.webhooks import event_key, parse_event, verify_signature

MAX_PAGES = 10_000  # a guard against a list that never ends, not a business rule

_CHARGE_STATUS = {
    "successful": ChargeStatus.SUCCEEDED,
    "failed": ChargeStatus.FAILED,
    "cancelled": ChargeStatus.FAILED,
}
_REFUND_STATUS = {"completed": RefundStatus.SUCCEEDED, "failed": RefundStatus.FAILED}


class FlutterwaveGateway:
    """A merchant's Flutterwave account. Use as ``async with FlutterwaveGateway(...) as g:``.

    ``base_url``: ``https://api.flutterwave.com`` or the sandbox mount
    (``…/sandbox/flutterwave``). ``credentials``: ``secret_key`` (``FLWSECK…``) and
    ``webhook_secret`` (the dashboard secret hash). ``timeout``: read timeout in seconds.
    """

    name: ClassVar[str] = "flutterwave"
    supports_manual_capture: ClassVar[bool] = False

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._credentials = credentials
        self._client = FlutterwaveClient(
            base_url, credentials.secret_key, timeout=timeout, http_client=http_client
        )

    # Charges --------------------------------------------------------------------------------

    async def create_charge(self, request: ChargeRequest) -> ProviderCharge:
        """``POST /v3/payments`` with ``tx_ref`` = ``request.reference``; PENDING with the
        hosted link. Manual capture → ProviderRejected (no request)."""
        if request.capture_method == "manual":
            self._unsupported("create_charge", "Flutterwave has no manual capture")
        link = await self._client.initiate_payment(
            tx_ref=request.reference,
            amount=request.amount,
            currency=request.currency,
            customer_email=request.email,
            customer_name=request.name,
            customer_phone=request.phone,
            redirect_url=request.return_url,
            meta=dict(request.metadata) or None,
            customizations={"description": request.description} if request.description else None,
        )
        return ProviderCharge(
            reference=request.reference,
            status=ChargeStatus.PENDING,
            amount=request.amount,
            currency=request.currency,
            redirect_url=link,
        )

    async def get_charge(self, reference: str, provider_id: str | None) -> ProviderCharge:
        """Verify by ``provider_id`` (Flutterwave's transaction id) or, without one, by
        ``tx_ref``. Unknown, or a transaction for another reference → ProviderRejected."""
        if provider_id:
            transaction = await self._client.verify(provider_id)
        else:
            transaction = await self._client.verify_by_reference(reference)
        if transaction.tx_ref != reference:
            raise ProviderRejected(
                f"Flutterwave transaction {transaction.id} is for another reference",
                provider=PROVIDER,
                operation="verify",
                provider_status=200,
                provider_code="reference_mismatch",
            )
        return to_charge(transaction)

    async def capture(self, reference: str, provider_id: str, amount: int) -> ProviderCharge:
        self._unsupported("capture", "Flutterwave standard checkout captures automatically")

    async def cancel(self, reference: str, provider_id: str) -> ProviderCharge:
        self._unsupported("cancel", "Flutterwave has no authorization to release")

    async def list_charges(self, start: datetime, end: datetime) -> list[ProviderCharge]:
        """Every transaction created in ``[start, end)``: the list endpoint filters by UTC day
        [U: Flutterwave's day boundary], so every page of those days is read and cut to the
        interval; a transaction seen twice (pages shift as new ones arrive) counts once."""
        first = start.astimezone(UTC).date()
        last = (end - timedelta(microseconds=1)).astimezone(UTC).date()
        seen: dict[int, FlutterwaveTransaction] = {}
        page = 1
        while page <= MAX_PAGES:
            batch = await self._client.list_transactions(first, last, page=page)
            for t in batch.transactions:
                if t.created_at is None or start <= t.created_at < end:
                    seen.setdefault(t.id, t)
            if page >= batch.total_pages:
                break
            page += 1
        return [to_charge(t) for t in seen.values()]

    # Refunds --------------------------------------------------------------------------------

    async def refund(
        self, reference: str, provider_id: str | None, amount: int, currency: str, refund_key: str
    ) -> ProviderRefund:
        """Refund ``amount`` minor units of the transaction, at most once per ``refund_key``.

        ``POST /v3/transactions/:id/refund`` takes no idempotency key, and our refund job
        retries with the same key after a ProviderTimeout/ProviderUnavailable (the first POST
        may have been applied). So ``refund_key`` goes in ``comments`` and the transaction's
        refunds (``GET /v3/refunds``) are searched for it first: a retry returns the refund
        already made, whatever its amount, instead of refunding twice. Refunds made before
        the key was sent bare carry ``"kro refund <key>"``, which matches too. Two calls with
        one key must not run concurrently (the job does one at a time). The transaction id is
        ``provider_id``, or found by verifying ``reference`` (``tx_ref``)."""
        transaction_id = provider_id or (await self._client.verify_by_reference(reference)).id
        notes = {refund_key, f"kro refund {refund_key}"}
        for existing in await self._client.list_refunds(transaction_id, currency):
            if existing.comments in notes:
                return to_refund(existing)
        refund = await self._client.refund(transaction_id, amount, currency, comments=refund_key)
        return to_refund(refund)

    async def get_refund(self, provider_refund_id: str) -> ProviderRefund:
        """``GET /v3/refunds/:id`` (plus a verify of its transaction, for the currency)."""
        return to_refund(await self._client.get_refund(provider_refund_id))

    # Webhooks -------------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> bool:
        """``verif-hash`` equals the secret hash, or ``flutterwave-signature`` is the body's
        HMAC under it (constant time). Flutterwave sends no timestamp: ``now`` is unused."""
        return verify_signature(body, headers, self._credentials.webhook_secret)

    @staticmethod
    def parse_webhook(body: bytes) -> WebhookHint:
        """Read an event without credentials (to find whose it is, before verification).
        ``charge.*`` → kind ``charge``, reference ``data.tx_ref``, provider id ``data.id``;
        raises InvalidWebhookPayload (a BadRequest) if the body is not an event."""
        event = parse_event(body)
        data = event.data
        kind: Literal["charge", "other"] = (
            "charge" if event.event.startswith("charge.") else "other"
        )
        tx_ref, tx_id = data.get("tx_ref"), data.get("id")
        return WebhookHint(
            event_key=event_key(event),
            event_type=event.event,
            kind=kind,
            reference=tx_ref if isinstance(tx_ref, str) else None,
            provider_id=str(tx_id) if tx_id not in (None, "") else None,
        )

    # Life cycle -----------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> FlutterwaveGateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @staticmethod
    def _unsupported(operation: str, why: str) -> NoReturn:
        """ProviderRejected for an operation Flutterwave does not have (no request is sent;
        ``provider_status`` 400 stands for "not allowed")."""
        raise ProviderRejected(
            f"{why}; {operation} is not supported",
            provider=PROVIDER,
            operation=operation,
            provider_status=400,
            provider_code="unsupported_operation",
        )


def to_charge(t: FlutterwaveTransaction) -> ProviderCharge:
    """A verified transaction in our words (minor units). Flutterwave reports no separate
    payment time: ``paid_at`` is ``created_at`` for a successful one."""
    status = _CHARGE_STATUS.get(t.status, ChargeStatus.PENDING)
    succeeded = status is ChargeStatus.SUCCEEDED
    return ProviderCharge(
        reference=t.tx_ref,
        status=status,
        amount=t.amount,
        currency=t.currency,
        provider_id=str(t.id),
        # ``charged_amount`` may include a fee the customer paid on top: what the merchant
        # collected is ``amount``.
        amount_captured=t.amount if succeeded else 0,
        fee=t.app_fee,
        failure_reason=t.processor_response if status is ChargeStatus.FAILED else None,
        paid_at=t.created_at if succeeded else None,
        created_at=t.created_at,
    )


def to_refund(r: FlutterwaveRefund) -> ProviderRefund:
    """A refund in our words (minor units)."""
    status = _REFUND_STATUS.get(r.status, RefundStatus.PENDING)
    return ProviderRefund(
        provider_refund_id=str(r.id),
        status=status,
        amount=r.amount_refunded,
        currency=r.currency,
        failure_reason=r.comments if status is RefundStatus.FAILED else None,
    )
