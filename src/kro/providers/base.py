"""One interface for every payment provider the merchant API can route to (seed 003 §2.3).

An adapter (``kro.providers.<name>.gateway``) turns its provider's API into these few calls and
provider-neutral shapes; the orchestration in ``kro.payments`` never sees a provider's own
fields. Amounts are always **minor units** here: an adapter of a major-unit provider
(Flutterwave) converts with ``decimal.Decimal`` at its boundary.

Failures are only :mod:`kro.providers.errors`: ``ProviderUnavailable`` (not accepted — safe
to fail over), ``ProviderTimeout`` (maybe accepted — reconcile, never resend),
``ProviderRejected`` (refused with the provider's message).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal, Protocol, Self, runtime_checkable

from kro.providers.errors import ProviderRejected
from kro.providers.http import ProviderClient


class ChargeStatus(StrEnum):
    """Where a charge is at the provider, in our words.

    ``pending``: created, the customer has not paid (hosted checkout open). ``requires_action``:
    the customer must do something (3-D Secure, OTP, a redirect). ``requires_capture``:
    authorized, waiting for capture (manual capture only). ``succeeded``: money taken.
    ``failed``: declined or abandoned. ``canceled``: an authorization released or expired.
    """

    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Credentials:
    """A merchant's keys with one provider, decrypted for the call and never logged.

    ``secret_key``: the API key (Paystack ``sk_…``, Flutterwave ``FLWSECK…``, Stripe
    ``sk_…``). ``webhook_secret``: what signs its webhooks where that is not the secret key
    (Flutterwave's secret hash, Stripe's ``whsec_…``, Fincra's webhook encryption key).
    ``public_key`` where the provider has one. ``account_id``: the merchant's account id where
    calls must name it (Fincra's ``x-business-id``).
    """

    secret_key: str
    webhook_secret: str | None = None
    public_key: str | None = None
    account_id: str | None = None

    def __repr__(self) -> str:
        return "Credentials(***)"


@dataclass(frozen=True)
class ChargeRequest:
    """Take ``amount`` minor units of ``currency`` (ISO 4217, upper case) from ``email``.

    ``reference``: ours, unique, sent as the provider's own reference (Paystack
    ``reference``, Flutterwave ``tx_ref``, Stripe idempotency key and ``metadata.reference``)
    so that a charge can always be found again. ``capture_method``: ``automatic`` or
    ``manual`` (authorize now, capture later; only where ``supports_manual_capture``).
    ``return_url``: where the customer's browser goes after the hosted page.
    """

    reference: str
    amount: int
    currency: str
    email: str
    name: str | None = None
    phone: str | None = None
    capture_method: Literal["automatic", "manual"] = "automatic"
    return_url: str | None = None
    description: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    plan: str | None = None
    """A provider plan code (:class:`RecurringProvider`): paying subscribes the payer."""


@dataclass(frozen=True)
class ProviderSubscription:
    """A subscription as the provider reports it: ``code`` and ``token`` (what disabling it
    needs), ``status`` in the provider's words, ``amount`` minor units per interval,
    ``plan``: its plan code; ``customer_email``."""

    code: str
    token: str
    status: str
    amount: int
    plan: str
    customer_email: str
    next_payment_at: datetime | None = None


@dataclass(frozen=True)
class ProviderCharge:
    """A charge as the provider reports it.

    ``provider_id``: the provider's own id (Paystack transaction id, Flutterwave transaction
    id, Stripe ``pi_…``), None before it has one. ``amount``: minor units authorized or
    charged; ``amount_captured``: minor units actually taken (0 until captured). ``fee``: the
    provider's fee in minor units (0 if it has not said). ``redirect_url``: where the
    customer must go next (hosted checkout, 3-D Secure), if anywhere. ``bank_account``: for a
    bank transfer into a dynamic account, the account (``bank_name``, ``account_number``,
    ``account_name``) the payer sends to — or, verified, the one the money arrived in.
    """

    reference: str
    status: ChargeStatus
    amount: int
    currency: str
    provider_id: str | None = None
    amount_captured: int = 0
    fee: int = 0
    redirect_url: str | None = None
    failure_reason: str | None = None
    paid_at: datetime | None = None
    created_at: datetime | None = None
    bank_account: Mapping[str, str] | None = None


@dataclass(frozen=True)
class ProviderRefund:
    """A refund as the provider reports it; ``amount`` minor units."""

    provider_refund_id: str
    status: RefundStatus
    amount: int
    currency: str
    failure_reason: str | None = None


@dataclass(frozen=True)
class WebhookHint:
    """What an incoming webhook says, before it is believed.

    ``event_key``: unique per provider (the inbox's key). ``kind``: ``charge``, ``refund`` or
    ``other``. ``reference``: our charge reference when the event names one; ``provider_id``:
    the provider's charge id (for a bank transfer, the settlement's id); ``refund_id``: the
    provider's refund id for refund events; ``account``: the account number a bank transfer
    was paid into.
    The orchestration confirms with :meth:`PaymentProvider.get_charge` /
    :meth:`PaymentProvider.get_refund` before any value moves.
    """

    event_key: str
    event_type: str
    kind: Literal["charge", "refund", "other"]
    reference: str | None = None
    provider_id: str | None = None
    refund_id: str | None = None
    account: str | None = None


class PaymentProvider(Protocol):
    """The calls the merchant API makes on any provider. Use as ``async with``.

    Raises only :mod:`kro.providers.errors`. Every money-moving call (``create_charge``,
    ``capture``, ``refund``) is sent with the provider's own idempotency reference where it has
    one, so a retry after an unknown outcome cannot charge twice.
    """

    name: ClassVar[str]
    supports_manual_capture: ClassVar[bool]

    async def create_charge(self, request: ChargeRequest) -> ProviderCharge:
        """Open the charge: a hosted checkout or a PaymentIntent. Moves money."""
        ...

    async def get_charge(self, reference: str, provider_id: str | None) -> ProviderCharge:
        """The provider's current view of a charge (its verify endpoint): the source of truth.
        Unknown charge → ProviderRejected."""
        ...

    async def capture(self, reference: str, provider_id: str, amount: int) -> ProviderCharge:
        """Capture ``amount`` minor units (≤ authorized) of a ``requires_capture`` charge."""
        ...

    async def cancel(self, reference: str, provider_id: str) -> ProviderCharge:
        """Release an uncaptured authorization."""
        ...

    async def refund(
        self, reference: str, provider_id: str | None, amount: int, currency: str, refund_key: str
    ) -> ProviderRefund:
        """Refund ``amount`` minor units of a succeeded charge. ``refund_key``: our refund id,
        the provider's idempotency reference where it has one. Moves money."""
        ...

    async def get_refund(self, provider_refund_id: str) -> ProviderRefund:
        """The provider's current view of a refund."""
        ...

    async def list_charges(self, start: datetime, end: datetime) -> list[ProviderCharge]:
        """Every charge created in ``[start, end)`` (its list endpoint, every page), for
        reconciliation."""
        ...

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> bool:
        """True iff ``body`` (raw bytes, as received) carries this merchant's valid signature
        and, where the scheme has a timestamp, is within its tolerance. Constant time."""
        ...

    def parse_webhook(self, body: bytes) -> WebhookHint:
        """Read a verified body; raises ``kro.kit.errors.BadRequest`` if it is not an event."""
        ...

    async def aclose(self) -> None: ...

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc: object) -> None: ...


@runtime_checkable
class RecurringProvider(Protocol):
    """A provider that charges a saved card on a schedule (Paystack plans and subscriptions).
    Raises only :mod:`kro.providers.errors`."""

    async def create_plan(self, name: str, amount: int, currency: str, interval: str) -> str:
        """A plan of ``amount`` minor units every ``interval``; returns its code."""
        ...

    async def subscribe(
        self, customer_email: str, plan: str, start: datetime | None
    ) -> ProviderSubscription:
        """Subscribe a payer whose card the provider already holds to ``plan``, first charge
        at ``start`` (None: the provider's default)."""
        ...

    async def get_subscription(self, code: str) -> ProviderSubscription:
        """The provider's current view of a subscription."""
        ...

    async def disable_subscription(self, code: str, token: str) -> None:
        """No further charges."""
        ...

    @staticmethod
    def parse_subscription(data: Mapping[str, Any]) -> ProviderSubscription:
        """A subscription event's ``data`` (not yet believed)."""
        ...


class ClientAdapter:
    """What an adapter over a :class:`kro.providers.http.ProviderClient` shares: closing its
    client (``async with``), and the refusal of a call its provider cannot make.

    Subclasses set ``name`` and ``self._client``.
    """

    name: ClassVar[str]
    _client: ProviderClient

    def _unsupported(self, operation: str, message: str) -> ProviderRejected:
        """ProviderRejected (``not_supported``) for ``operation``; no request is sent
        (``provider_status`` 0)."""
        return ProviderRejected(
            message,
            provider=self.name,
            operation=operation,
            provider_status=0,
            provider_code="not_supported",
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class CollectOnly(ClientAdapter):
    """An adapter whose provider only collects (a bank transfer, an invoice reference): no
    capture, no cancel, no refund through its API, and no list of charges (reconciliation
    verifies each open payment instead). Each call is refused with ProviderRejected
    (``not_supported``) and sends nothing; the subclass says why in ``NO_CAPTURE``,
    ``NO_CANCEL`` and ``NO_REFUND``. Refunds of its payments go another way
    (:mod:`kro.payments.refunds`: the payer's wallet, or by hand)."""

    NO_CAPTURE: ClassVar[str]
    NO_CANCEL: ClassVar[str]
    NO_REFUND: ClassVar[str]

    async def capture(self, reference: str, provider_id: str, amount: int) -> ProviderCharge:
        raise self._unsupported("capture", self.NO_CAPTURE)

    async def cancel(self, reference: str, provider_id: str) -> ProviderCharge:
        raise self._unsupported("cancel", self.NO_CANCEL)

    async def refund(
        self, reference: str, provider_id: str | None, amount: int, currency: str, refund_key: str
    ) -> ProviderRefund:
        raise self._unsupported("refund", self.NO_REFUND)

    async def get_refund(self, provider_refund_id: str) -> ProviderRefund:
        raise self._unsupported("get_refund", self.NO_REFUND)

    async def list_charges(self, start: datetime, end: datetime) -> list[ProviderCharge]:
        """None: the provider lists no charges through this API."""
        return []
