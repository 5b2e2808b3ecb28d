"""The Stripe simulator's own tables (``stripe_*`` in :class:`SandboxBase`).

Every row belongs to an ``account_id`` and every query of the API is scoped by it. Amounts are
minor units (BIGINT), currencies lower case, as Stripe writes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.db import MinorUnits, UTCDateTime
from kro.sandbox.common.delivery import DeliveryColumns
from kro.sandbox.db import SandboxBase


class PaymentIntent(SandboxBase):
    """One PaymentIntent and its one (latest) charge.

    ``status`` follows Stripe's life cycle (providers.md 3): ``requires_payment_method`` →
    ``requires_action`` (3-D Secure, the hosted page) → ``requires_capture`` (manual capture)
    → ``succeeded``; ``canceled`` from any non-terminal state. The charge (``charge_id``,
    ``ch_…``) exists once a payment method was tried; ``charge_status`` is ``succeeded`` or
    ``failed``. ``fee`` is Stripe's fee on ``amount_received`` (its balance transaction
    ``balance_transaction_id``). ``amount_refunded`` sums the refunds not failed.
    """

    __tablename__ = "stripe_payment_intents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(32))
    capture_method: Mapped[str] = mapped_column(String(16))
    client_secret: Mapped[str] = mapped_column(String(80))
    amount_capturable: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    amount_received: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    amount_refunded: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    fee: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    payment_method: Mapped[str | None] = mapped_column(String(64), default=None)
    description: Mapped[str | None] = mapped_column(String(1000), default=None)
    receipt_email: Mapped[str | None] = mapped_column(String(320), default=None)
    meta: Mapped[Any] = mapped_column("metadata", JSON, default=dict)
    return_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    last_payment_error: Mapped[Any | None] = mapped_column(JSON, default=None, nullable=True)
    charge_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    charge_status: Mapped[str | None] = mapped_column(String(16), default=None)
    balance_transaction_id: Mapped[str | None] = mapped_column(String(40), default=None)
    cancellation_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    created: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    capture_before: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Refund(SandboxBase):
    """One refund (``re_…``) of a PaymentIntent's charge: ``pending`` → ``succeeded`` when
    ``settle_at`` passes (the background loop), as card refunds settle asynchronously."""

    __tablename__ = "stripe_refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    payment_intent_id: Mapped[str] = mapped_column(String(40), index=True)
    charge_id: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32), default=None)
    meta: Mapped[Any] = mapped_column("metadata", JSON, default=dict)
    balance_transaction_id: Mapped[str] = mapped_column(String(40))
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    settle_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)


class Event(SandboxBase):
    """One event (``evt_…``) as ``GET /v1/events/:id`` answers it; ``body`` is its exact JSON,
    also the body of every delivery of it."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(40), index=True)
    body: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(DeliveryColumns, SandboxBase):
    """One delivery of an event to the endpoint (:mod:`kro.sandbox.common.delivery` columns);
    the ``Stripe-Signature`` is computed per attempt with a fresh ``t``."""

    __tablename__ = "stripe_webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    event_id: Mapped[str] = mapped_column(String(40), index=True)
    event: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(40), index=True)


class IdempotentRequest(SandboxBase):
    """A POST answered under an ``Idempotency-Key``: the digest of its method, path and
    parameters, and the stored answer replayed for the same key (docs.stripe.com/idempotency).
    """

    __tablename__ = "stripe_idempotency"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
