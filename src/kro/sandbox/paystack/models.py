"""The Paystack simulator's own tables (``paystack_*`` in :class:`SandboxBase`).

Ids are plain integers like Paystack's. Every row belongs to an ``integration`` (the merchant,
derived from the secret key), and every query is scoped by it. Amounts are kobo (BIGINT).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.db import MinorUnits, UTCDateTime
from kro.sandbox.common.delivery import DeliveryColumns
from kro.sandbox.db import SandboxBase

# SQL NULL (not JSON null) for a missing value.
_JSON = JSON(none_as_null=True)


class Customer(SandboxBase):
    """A payer, unique per integration and email (Paystack creates one on first payment)."""

    __tablename__ = "paystack_customers"
    __table_args__ = (UniqueConstraint("integration", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[int] = mapped_column(Integer)
    email: Mapped[str] = mapped_column(String(320))
    customer_code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Transaction(SandboxBase):
    """A transaction from ``/transaction/initialize``; paid or declined on the checkout page.

    ``status``: ``abandoned`` (initialized, never completed) → ``success`` | ``failed``;
    ``success`` → ``reversed`` when fully refunded.
    """

    __tablename__ = "paystack_transactions"
    __table_args__ = (UniqueConstraint("integration", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[int] = mapped_column(Integer, index=True)
    reference: Mapped[str] = mapped_column(String(100))
    access_code: Mapped[str] = mapped_column(String(32), unique=True)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    currency: Mapped[str] = mapped_column(String(3))
    customer_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="abandoned")
    gateway_response: Mapped[str | None] = mapped_column(String(200), default=None)
    channel: Mapped[str] = mapped_column(String(32), default="card")
    fees: Mapped[int | None] = mapped_column(MinorUnits, default=None, comment="kobo")
    callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    metadata_: Mapped[Any] = mapped_column("metadata", _JSON, nullable=True, default=None)
    channels: Mapped[Any] = mapped_column(_JSON, nullable=True, default=None)
    authorization: Mapped[Any] = mapped_column(_JSON, nullable=True, default=None)
    ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Refund(SandboxBase):
    """A refund: ``pending`` at creation, ``processed`` by the background loop."""

    __tablename__ = "paystack_refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[int] = mapped_column(Integer, index=True)
    transaction_id: Mapped[int] = mapped_column(Integer, index=True)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    customer_note: Mapped[str] = mapped_column(Text)
    merchant_note: Mapped[str] = mapped_column(Text)
    refund_reference: Mapped[str | None] = mapped_column(String(64), default=None)
    process_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Recipient(SandboxBase):
    """A transfer recipient (``RCP_…``), unique per integration, account, bank and currency."""

    __tablename__ = "paystack_recipients"
    __table_args__ = (UniqueConstraint("integration", "account_number", "bank_code", "currency"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[int] = mapped_column(Integer)
    recipient_code: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    account_number: Mapped[str] = mapped_column(String(10))
    account_name: Mapped[str] = mapped_column(String(200))
    bank_code: Mapped[str] = mapped_column(String(10))
    bank_name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    metadata_: Mapped[Any] = mapped_column("metadata", _JSON, nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Transfer(SandboxBase):
    """A transfer from the balance: ``pending`` → ``success`` | ``failed`` | ``reversed``."""

    __tablename__ = "paystack_transfers"
    __table_args__ = (UniqueConstraint("integration", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[int] = mapped_column(Integer, index=True)
    reference: Mapped[str] = mapped_column(String(100))
    transfer_code: Mapped[str] = mapped_column(String(32), unique=True)
    request_id: Mapped[int] = mapped_column(Integer)
    recipient_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    fee_charged: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(16), default="balance")
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    failures: Mapped[Any] = mapped_column(_JSON, nullable=True, default=None)
    gateway_response: Mapped[str | None] = mapped_column(String(200), default=None)
    session_id: Mapped[str | None] = mapped_column(String(40), default=None)
    settle_at: Mapped[datetime] = mapped_column(UTCDateTime)
    transferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Balance(SandboxBase):
    """The integration's Paystack balance per currency, in kobo."""

    __tablename__ = "paystack_balances"
    __table_args__ = (UniqueConstraint("integration", "currency"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[int] = mapped_column(MinorUnits, comment="kobo")


class WebhookDelivery(DeliveryColumns, SandboxBase):
    """One webhook to send: the exact body bytes, signed at send time with the integration's key.

    ``status``: ``pending`` (due at ``next_attempt_at``) → ``delivered`` (a 2xx answer) |
    ``failed`` (schedule exhausted). ``attempts`` holds ``{at, status_code, error}`` per try.
    """

    __tablename__ = "paystack_webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[int] = mapped_column(Integer, index=True)
    event: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(100), index=True, default=None)


class Plan(SandboxBase):
    """A plan from ``POST /plan``: ``amount`` kobo every ``interval`` (``daily``, ``weekly``,
    ``monthly``, ``quarterly``, ``biannually``, ``annually``)."""

    __tablename__ = "paystack_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[int] = mapped_column(Integer, index=True)
    plan_code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    interval: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    invoice_limit: Mapped[int] = mapped_column(Integer, default=0)
    send_invoices: Mapped[bool] = mapped_column(default=True)
    send_sms: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PlanCheckout(SandboxBase):
    """A transaction initialized with ``plan``: paying it subscribes the customer."""

    __tablename__ = "paystack_plan_checkouts"

    transaction_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(Integer)


class Subscription(SandboxBase):
    """A customer's subscription to a plan, charged on the saved card authorization.

    ``status``: ``active`` → ``non-renewing`` (disabled: no more charges) | ``completed``
    (``invoice_limit`` reached); ``attention`` when a renewal charge failed."""

    __tablename__ = "paystack_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[int] = mapped_column(Integer, index=True)
    subscription_code: Mapped[str] = mapped_column(String(32), unique=True)
    email_token: Mapped[str] = mapped_column(String(32))
    plan_id: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    status: Mapped[str] = mapped_column(String(16), default="active")
    authorization: Mapped[Any] = mapped_column(_JSON, nullable=True, default=None)
    invoice_limit: Mapped[int] = mapped_column(Integer, default=0)
    payments_count: Mapped[int] = mapped_column(Integer, default=0)
    next_payment_date: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Invoice(SandboxBase):
    """One billing period of a subscription (``invoice.create`` / ``invoice.update``)."""

    __tablename__ = "paystack_invoices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[int] = mapped_column(Integer, index=True)
    invoice_code: Mapped[str] = mapped_column(String(32), unique=True)
    subscription_id: Mapped[int] = mapped_column(Integer, index=True)
    transaction_id: Mapped[int | None] = mapped_column(Integer, default=None)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    paid: Mapped[bool] = mapped_column(default=False)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
