"""The Stripe adapter: :class:`StripeGateway`, a :class:`kro.providers.base.PaymentProvider`
over the official ``stripe`` SDK (v16, ``StripeClient`` with its ``*_async`` methods).

Only the base URL and the keys tell the real Stripe from ``kro.sandbox.stripe``: the SDK's
``base_addresses={"api": base_url}`` is ``https://api.stripe.com`` or the sandbox mount
(``…/sandbox/stripe``). Amounts cross this boundary as ``int`` minor units (Stripe's own unit);
currencies go to Stripe lower case and come back upper case.

- Money-moving calls carry Stripe's ``Idempotency-Key``: our reference for the
  PaymentIntent, ``"{reference}:capture"`` for a capture, the refund key for a refund — a retry
  after an unknown outcome replays the first answer instead of charging twice.
- Errors: :mod:`kro.providers.stripe.errors`.
- Status map: ``requires_payment_method`` / ``requires_confirmation`` → pending (failed when
  ``last_payment_error`` says the last attempt was declined), ``requires_action`` →
  requires_action (``next_action.redirect_to_url.url``), ``processing`` → pending,
  ``requires_capture`` → requires_capture, ``succeeded`` → succeeded, ``canceled`` → canceled.
- Fee: the ``fee`` of the latest charge's balance transaction (expanded), 0 until captured.

**Hosted page (sandbox behaviour).** A PaymentIntent created without a payment method needs
the customer to enter a card. Real Stripe does that in Stripe.js or a Checkout Session; the
sandbox serves a hosted page for each PaymentIntent at ``{base_url}/pay/{pi_id}``, and this
adapter sends the customer there (``redirect_url``), with our ``return_url`` as a query
parameter — Stripe accepts ``return_url`` on a PaymentIntent only with ``confirm=true``. A
production deployment against the real Stripe must switch this to Checkout Sessions.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self, TypeVar
from urllib.parse import urlencode

import httpx
import stripe
import structlog

from kro.kit.http import make_client
from kro.providers.base import (
    ChargeRequest,
    ChargeStatus,
    Credentials,
    ProviderCharge,
    ProviderRefund,
    RefundStatus,
    WebhookHint,
)
from kro.providers.errors import StripeWebhookInvalid as InvalidWebhookPayload
from kro.providers.stripe.errors import PROVIDER, not_found, translate
from kro.providers.stripe.transport import SharedHttpxClient

T = TypeVar("T")
TOLERANCE = 300  # seconds; Stripe's default (stripe-python ``Webhook.DEFAULT_TOLERANCE``)
EXPAND_FEE = ["latest_charge.balance_transaction"]
PAGE = 100
REFUND_EVENTS = frozenset({"charge.refunded", "charge.refund.updated"})
_STATUS = {
    "requires_payment_method": ChargeStatus.PENDING,
    "requires_confirmation": ChargeStatus.PENDING,
    "processing": ChargeStatus.PENDING,
    "requires_action": ChargeStatus.REQUIRES_ACTION,
    "requires_capture": ChargeStatus.REQUIRES_CAPTURE,
    "succeeded": ChargeStatus.SUCCEEDED,
    "canceled": ChargeStatus.CANCELED,
}
_REFUND_STATUS = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.FAILED,
}


class StripeGateway:
    """Stripe through the official SDK. Use as ``async with StripeGateway(...) as stripe:``.

    ``base_url``: the API base (``https://api.stripe.com`` or the sandbox mount).
    ``credentials``: ``secret_key`` (``sk_…``) and ``webhook_secret`` (``whsec_…``).
    ``timeout``: seconds to wait for an answer. ``http_client``: a shared
    ``httpx.AsyncClient`` (not closed here); without one the gateway owns its own.
    """

    name: ClassVar[str] = PROVIDER
    supports_manual_capture: ClassVar[bool] = True

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._webhook_secret = credentials.webhook_secret
        self._owns_http = http_client is None
        self._http = http_client or make_client(timeout=timeout)
        self._stripe = stripe.StripeClient(
            credentials.secret_key,
            base_addresses={"api": self.base_url},
            http_client=SharedHttpxClient(self._http, timeout),
            max_network_retries=0,  # never resend on our behalf: see DESIGN.md section 5
        )
        self._log = structlog.get_logger(f"kro.providers.{PROVIDER}")

    # PaymentProvider ----------------------------------------------------------------------

    async def create_charge(self, request: ChargeRequest) -> ProviderCharge:
        """A PaymentIntent for ``request.amount`` minor units, keyed by our reference; the
        customer pays on the hosted page (module docstring). Moves money."""
        params: dict[str, Any] = {
            "amount": request.amount,
            "currency": request.currency.lower(),
            "capture_method": request.capture_method,
            "receipt_email": request.email,
            "metadata": {**request.metadata, "reference": request.reference},
        }
        if request.description:
            params["description"] = request.description
        pi = await self._call(
            "create_charge",
            lambda: self._stripe.v1.payment_intents.create_async(
                params,  # type: ignore[arg-type]  # a plain dict for the SDK's TypedDict
                {"idempotency_key": request.reference},
            ),
            moves_money=True,
        )
        charge = self._charge(pi, request.reference)
        if charge.status is ChargeStatus.PENDING:
            return _replace_redirect(charge, self.hosted_page(pi.id, request.return_url))
        return charge

    async def get_charge(self, reference: str, provider_id: str | None) -> ProviderCharge:
        """Retrieve the PaymentIntent (fee expanded); without its id, search by
        ``metadata['reference']``. Unknown → ProviderRejected (``resource_missing``)."""
        if provider_id is None:
            provider_id = await self._find(reference, "get_charge")
        pi = await self._call(
            "get_charge",
            lambda: self._stripe.v1.payment_intents.retrieve_async(
                provider_id, {"expand": EXPAND_FEE}
            ),
        )
        charge = self._charge(pi, reference)
        if charge.status is ChargeStatus.PENDING:
            return _replace_redirect(charge, self.hosted_page(pi.id, None))
        return charge

    async def capture(self, reference: str, provider_id: str, amount: int) -> ProviderCharge:
        """Capture ``amount`` minor units of a ``requires_capture`` PaymentIntent; the rest of
        the hold is released. Idempotency key ``"{reference}:capture"``."""
        pi = await self._call(
            "capture",
            lambda: self._stripe.v1.payment_intents.capture_async(
                provider_id,
                {"amount_to_capture": amount, "expand": EXPAND_FEE},
                {"idempotency_key": f"{reference}:capture"},
            ),
            moves_money=True,
        )
        return self._charge(pi, reference)

    async def cancel(self, reference: str, provider_id: str) -> ProviderCharge:
        """Cancel the PaymentIntent (release an authorization)."""
        pi = await self._call(
            "cancel",
            lambda: self._stripe.v1.payment_intents.cancel_async(
                provider_id, None, {"idempotency_key": f"{reference}:cancel"}
            ),
        )
        return self._charge(pi, reference)

    async def refund(
        self, reference: str, provider_id: str | None, amount: int, currency: str, refund_key: str
    ) -> ProviderRefund:
        """Refund ``amount`` minor units of the PaymentIntent (Stripe refunds in the charge's
        currency; ``currency`` is ours, for the record). Idempotency key ``refund_key``."""
        if provider_id is None:
            provider_id = await self._find(reference, "refund")
        pi_id = provider_id
        refund = await self._call(
            "refund",
            lambda: self._stripe.v1.refunds.create_async(
                {
                    "payment_intent": pi_id,
                    "amount": amount,
                    "metadata": {"reference": reference, "refund_key": refund_key},
                },
                {"idempotency_key": refund_key},
            ),
            moves_money=True,
        )
        return _refund(refund)

    async def get_refund(self, provider_refund_id: str) -> ProviderRefund:
        refund = await self._call(
            "get_refund", lambda: self._stripe.v1.refunds.retrieve_async(provider_refund_id)
        )
        return _refund(refund)

    async def list_charges(self, start: datetime, end: datetime) -> list[ProviderCharge]:
        """Every PaymentIntent created in ``[start, end)`` (Stripe's ``created`` is whole
        seconds), newest first, paging with ``starting_after``."""
        created = {"gte": math.ceil(start.timestamp()), "lt": math.ceil(end.timestamp())}
        charges: list[ProviderCharge] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {
                "created": created,
                "limit": PAGE,
                "expand": [f"data.{path}" for path in EXPAND_FEE],
            }
            if after:
                params["starting_after"] = after
            page = await self._call(
                "list_charges",
                lambda p=params: self._stripe.v1.payment_intents.list_async(p),  # type: ignore[misc]
            )
            charges.extend(self._charge(pi, None) for pi in page.data)
            if not page.has_more or not page.data:
                return charges
            after = page.data[-1].id

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> bool:
        """``Stripe-Signature`` (``t=…,v1=…``) checked with the SDK's
        ``WebhookSignature.verify_header`` (HMAC-SHA256 of ``"{t}.{body}"`` with the
        ``whsec_…`` secret, constant-time), and ``t`` within 300 s of ``now`` — our clock, which
        the SDK cannot take, so its own time check is off and ours is done here. Never raises.
        """
        header = next((v for k, v in headers.items() if k.lower() == "stripe-signature"), None)
        if not header or not self._webhook_secret:
            return False
        try:
            stripe.WebhookSignature.verify_header(body, header, self._webhook_secret, None)
        except (stripe.SignatureVerificationError, ValueError):
            return False
        stamps = [item[2:] for item in header.split(",") if item.startswith("t=")]
        if not stamps or not stamps[0].isdigit():
            return False
        return abs(now.timestamp() - int(stamps[0])) <= TOLERANCE

    @staticmethod
    def parse_webhook(body: bytes) -> WebhookHint:
        """An Event (``{"id": "evt_…", "type", "data": {"object": {...}}}``) → hint, without
        credentials. ``payment_intent.*`` → ``charge``; ``charge.refunded``,
        ``charge.refund.updated`` and ``refund.*`` → ``refund``; else ``other``. Raises
        InvalidWebhookPayload when the body is not an event."""
        return parse_event(body)

    def hosted_page(self, pi_id: str, return_url: str | None) -> str:
        """The sandbox's hosted page of ``pi_id`` (module docstring)."""
        query = f"?{urlencode({'return_url': return_url})}" if return_url else ""
        return f"{self.base_url}/pay/{pi_id}{query}"

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # Plumbing -----------------------------------------------------------------------------

    async def _call(
        self, operation: str, send: Callable[[], Awaitable[T]], *, moves_money: bool = False
    ) -> T:
        """Run one SDK call; log it (``stripe_call``) and translate its failure."""
        started = time.monotonic()
        error: str | None = None
        try:
            return await send()
        except stripe.StripeError as exc:
            error = type(exc).__name__
            raise translate(exc, operation, moves_money=moves_money) from exc
        finally:
            self._log.info(
                f"{PROVIDER}_call",
                operation=operation,
                error=error,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
            )

    async def _find(self, reference: str, operation: str) -> str:
        """The id of the newest PaymentIntent whose ``metadata.reference`` is ``reference``."""
        quoted = reference.replace("\\", "\\\\").replace("'", "\\'")
        found = await self._call(
            operation,
            lambda: self._stripe.v1.payment_intents.search_async(
                {"query": f"metadata['reference']:'{quoted}'", "limit": 1}
            ),
        )
        if not found.data:
            raise not_found(operation, reference)
        return found.data[0].id

    def _charge(self, pi: stripe.PaymentIntent, reference: str | None) -> ProviderCharge:
        """A PaymentIntent in our words (see the status map)."""
        error = pi.last_payment_error
        status = _STATUS.get(pi.status, ChargeStatus.PENDING)
        if status is ChargeStatus.PENDING and pi.status == "requires_payment_method" and error:
            status = ChargeStatus.FAILED
        redirect = None
        action = pi.next_action
        if status is ChargeStatus.REQUIRES_ACTION and action and action.redirect_to_url:
            redirect = action.redirect_to_url.url
        txn = _balance_transaction(pi)
        return ProviderCharge(
            reference=_metadata_reference(pi) or reference or "",
            status=status,
            amount=pi.amount,
            currency=pi.currency.upper(),
            provider_id=pi.id,
            amount_captured=pi.amount_received or 0,
            fee=txn.fee if txn else 0,
            redirect_url=redirect,
            failure_reason=(error.message or error.code) if error else None,
            paid_at=datetime.fromtimestamp(txn.created, UTC) if txn else None,
            created_at=datetime.fromtimestamp(pi.created, UTC),
        )


def _metadata_reference(pi: stripe.PaymentIntent) -> str | None:
    metadata = pi.metadata
    value = metadata["reference"] if metadata and "reference" in metadata else None
    return value if isinstance(value, str) else None


def _balance_transaction(pi: stripe.PaymentIntent) -> stripe.BalanceTransaction | None:
    charge = pi.latest_charge
    if not isinstance(charge, stripe.Charge):
        return None
    txn = charge.balance_transaction
    return txn if isinstance(txn, stripe.BalanceTransaction) else None


def _replace_redirect(charge: ProviderCharge, url: str) -> ProviderCharge:
    return replace(charge, redirect_url=url)


def _refund(refund: stripe.Refund) -> ProviderRefund:
    return ProviderRefund(
        provider_refund_id=refund.id,
        status=_REFUND_STATUS.get(refund.status or "", RefundStatus.PENDING),
        amount=refund.amount,
        currency=refund.currency.upper(),
        failure_reason=getattr(refund, "failure_reason", None),  # present only once failed
    )


def _kind(event_type: str) -> Literal["charge", "refund", "other"]:
    if event_type.startswith("payment_intent."):
        return "charge"
    if event_type in REFUND_EVENTS or event_type.startswith("refund."):
        return "refund"
    return "other"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_event(body: bytes) -> WebhookHint:
    """See :meth:`StripeGateway.parse_webhook`."""
    try:
        event = json.loads(body)
    except ValueError:
        raise InvalidWebhookPayload() from None
    data = event.get("data") if isinstance(event, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not _text(event.get("id")) or not _text(event.get("type")):
        raise InvalidWebhookPayload()
    metadata: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    is_pi = obj.get("object") == "payment_intent"
    return WebhookHint(
        event_key=event["id"],
        event_type=event["type"],
        kind=_kind(event["type"]),
        reference=_text(metadata.get("reference")),
        provider_id=_text(obj.get("id") if is_pi else obj.get("payment_intent")),
        refund_id=_text(obj.get("id")) if obj.get("object") == "refund" else None,
    )
