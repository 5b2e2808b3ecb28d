"""Typed views of the Paystack answers we use (only the fields we read; extras ignored).

Amounts are ``int`` kobo (minor units); Paystack sometimes sends them as numeric strings
(e.g. ``refund.*`` webhooks), which :data:`Kobo` accepts. Timestamps are aware UTC datetimes.
Sources: paystack.com/docs/api (transaction, refund, miscellaneous, verification,
transfer-recipient, transfer) and PaystackOSS/doc-code-snippets sample responses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _kobo(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("amount must be an integer in minor units")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, float):
        raise ValueError("amount must be an integer in minor units, not a float")
    return value


Kobo = Annotated[int, BeforeValidator(_kobo)]
"""An integer amount in minor units; accepts Paystack's numeric strings, refuses floats."""


def _empty_to_none(value: Any) -> Any:
    return None if value in ({}, "", []) else value


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class InitializedTransaction(_Model):
    """``POST /transaction/initialize`` → where to send the payer."""

    authorization_url: str
    access_code: str
    reference: str


class Customer(_Model):
    id: int
    email: str
    customer_code: str


class Authorization(_Model):
    """A reusable card (or bank) authorization, present once a charge succeeded."""

    authorization_code: str | None = None
    channel: str | None = None
    card_type: str | None = None
    last4: str | None = None
    bank: str | None = None
    brand: str | None = None
    reusable: bool | None = None


class Transaction(_Model):
    """``GET /transaction/verify/:reference``. ``status``: ``success`` | ``failed`` |
    ``abandoned`` (not completed) | ``reversed`` (refunded) | ``ongoing`` | ``pending`` …
    ``amount`` and ``fees`` in kobo; credit ``amount`` only when ``status == "success"``."""

    id: int
    reference: str
    status: str
    amount: Kobo
    currency: str
    fees: Kobo | None = None
    paid_at: datetime | None = None
    created_at: datetime | None = None
    gateway_response: str | None = None
    channel: str | None = None
    metadata: Annotated[Any, BeforeValidator(_empty_to_none)] = None
    customer: Customer | None = None
    authorization: Annotated[Authorization | None, BeforeValidator(_empty_to_none)] = None

    @property
    def succeeded(self) -> bool:
        return self.status == "success"


class RefundTransaction(_Model):
    id: int
    reference: str


class Refund(_Model):
    """A refund. ``POST /refund`` answers the queued refund with the ``transaction`` object;
    ``GET /refund/:id`` and ``GET /refund`` carry the transaction's id only. ``status``:
    ``pending`` → ``processing`` → ``processed`` | ``failed`` (or ``needs-attention``).
    ``merchant_note`` / ``customer_note``: the reasons given on creation (Paystack fills in
    its own when none was given). Amounts in kobo."""

    id: int
    amount: Kobo
    currency: str
    status: str
    deducted_amount: Kobo | None = None
    transaction: RefundTransaction | int
    merchant_note: str | None = None
    customer_note: str | None = None
    expected_at: datetime | None = None
    refunded_at: datetime | None = None
    created_at: datetime | None = Field(default=None, alias="createdAt")

    @property
    def transaction_id(self) -> int:
        """The refunded transaction's id, whichever shape the endpoint used."""
        return self.transaction if isinstance(self.transaction, int) else self.transaction.id


class Bank(_Model):
    """An item of ``GET /bank``; ``code`` is the CBN/NIP bank code used everywhere else."""

    id: int
    name: str
    slug: str
    code: str
    longcode: str | None = None
    country: str
    currency: str
    type: str
    active: bool = True
    supports_transfer: bool = True


class ResolvedAccount(_Model):
    """``GET /bank/resolve`` (name enquiry)."""

    account_number: str
    account_name: str
    bank_id: int | None = None


class RecipientDetails(_Model):
    account_number: str | None = None
    account_name: str | None = None
    bank_code: str | None = None
    bank_name: str | None = None


class TransferRecipient(_Model):
    """``POST /transferrecipient``; pay it with ``recipient_code`` (``RCP_…``)."""

    id: int
    recipient_code: str
    name: str
    type: str
    currency: str
    details: RecipientDetails


class Transfer(_Model):
    """``POST /transfer`` and ``GET /transfer/verify/:reference``. ``status``: ``pending`` |
    ``success`` | ``failed`` | ``reversed`` | ``otp`` | ``abandoned`` | ``blocked`` | … ;
    ``recipient`` is an id on initiate and an object on verify. Amounts in kobo."""

    id: int
    reference: str
    transfer_code: str
    amount: Kobo
    currency: str
    status: str
    reason: str | None = None
    fee_charged: Kobo | None = None
    recipient: int | TransferRecipient | None = None
    transferred_at: datetime | None = None
    gateway_response: str | None = None
    failures: Any = None

    @property
    def is_final(self) -> bool:
        """Paystack's conclusive statuses (docs: "How transfers work")."""
        return self.status in ("success", "failed", "reversed", "abandoned", "blocked", "rejected")


class PaystackEvent(_Model):
    """A webhook: ``{"event": "charge.success", "data": {...}}`` (no event id of its own)."""

    event: str
    data: dict[str, Any] = Field(default_factory=dict)


class Plan(_Model):
    """``POST /plan`` / ``GET /plan/:id_or_code``: ``amount`` kobo every ``interval``."""

    id: int
    plan_code: str
    name: str
    amount: Kobo
    interval: str
    currency: str
    invoice_limit: int = 0


class Subscription(_Model):
    """``GET /subscription/:id_or_code`` and the ``subscription.create`` webhook's data.
    ``email_token`` (with the code) lets us disable or enable it; ``status``: ``active``,
    ``non-renewing``, ``attention``, ``completed``, ``cancelled``."""

    subscription_code: str
    email_token: str
    status: str
    amount: Kobo
    next_payment_date: datetime | None = None
    plan: Plan
    customer: dict[str, Any] = Field(default_factory=dict)
