"""Payments tables: ``payments`` and ``webhook_events`` (the inbox), provider configurations
and routing rules, and ``payment_subscriptions`` (recurring collections)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, MinorUnits, UTCDateTime
from kro.kit.ids import new_id


class Payment(Base):
    """A collection through a provider checkout.

    The products' own payments (``tenant_id`` None): ``status`` pending → completed | failed;
    ``needs_review`` when the provider reports a successful charge that does not match (amount
    or currency) — nothing moves then. Merchant API payments (``tenant_id`` set) follow
    ``kro.payments.states.GATEWAY`` and record each transition in ``payment_events``.
    ``amount`` and ``provider_fee`` are minor units of ``currency``. ``reference`` is ours,
    sent to the provider, unique.
    """

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_purpose", "purpose", "purpose_id"),
        Index("ix_payments_tenant_created", "tenant_id", "mode", "created_at", "id"),
        UniqueConstraint("tenant_id", "mode", "merchant_reference"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("pay"))
    provider: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24), default="pending")
    purpose: Mapped[str] = mapped_column(String(32), comment="e.g. escrow (job prefix)")
    purpose_id: Mapped[str] = mapped_column(String(32))
    payer_id: Mapped[str | None] = mapped_column(String(32), default=None)
    customer_email: Mapped[str] = mapped_column(String(320))
    credit_account_id: Mapped[str] = mapped_column(String(64), comment="ledger account credited")
    authorization_url: Mapped[str | None] = mapped_column(String(500), default=None)
    access_code: Mapped[str | None] = mapped_column(String(64), default=None)
    provider_transaction_id: Mapped[str | None] = mapped_column(String(64), default=None)
    provider_fee: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    failure_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Bank transfer into a Providus dynamic virtual account (``provider == "providus"``,
    # ``reference`` = Providus's ``initiationTranRef``; ``kro.payments.bank_transfer.service``). The
    # payer may send any amount: ``amount_received`` (minor units) is what arrived; status
    # ``underpaid`` when it was less than ``amount`` (it went to the payer's wallet).
    virtual_account_number: Mapped[str | None] = mapped_column(String(10), default=None, index=True)
    virtual_account_name: Mapped[str | None] = mapped_column(String(200), default=None)
    virtual_account_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    amount_received: Mapped[int | None] = mapped_column(
        MinorUnits, default=None, comment="minor units"
    )
    # The merchant API (seed 003; ``kro.payments.charges``): a tenant's payment, in
    # ``mode`` test | live, routed to ``provider`` by ``provider_config_id``. Statuses are
    # ``kro.payments.states.GATEWAY``; ``merchant_reference`` is the tenant's own, unique per
    # tenant and mode. Amounts are minor units.
    tenant_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    mode: Mapped[str | None] = mapped_column(String(8), default=None, comment="test | live")
    merchant_reference: Mapped[str | None] = mapped_column(String(100), default=None)
    provider_config_id: Mapped[str | None] = mapped_column(String(32), default=None)
    capture_method: Mapped[str] = mapped_column(
        String(16), default="automatic", server_default="automatic"
    )
    channel: Mapped[str | None] = mapped_column(String(24), default=None)
    amount_captured: Mapped[int] = mapped_column(
        MinorUnits, default=0, server_default="0", comment="minor units"
    )
    amount_refunded: Mapped[int] = mapped_column(
        MinorUnits,
        default=0,
        server_default="0",
        comment="minor units, refunds requested and not failed",
    )
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    customer: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON, default=None)
    next_action: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    routing: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON, default=None, comment="one entry per provider tried: provider, outcome, error"
    )


class WebhookEvent(Base):
    """An incoming provider webhook, stored once per ``(provider, event_key)``.

    ``status``: received → processed | ignored (with ``outcome`` saying why) | failed.
    ``payload`` is the raw body as received (signature already verified).
    """

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("evt"))
    provider: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="received")
    outcome: Mapped[str | None] = mapped_column(String(200), default=None)
    deliveries: Mapped[int] = mapped_column(default=1, comment="times the provider sent it")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class Refund(Base):
    """Money given back to the payer of ``payment_id``: through the provider that took it
    (Paystack ``POST /refund``; ``pending`` until ``refund.processed``), to the payer's wallet
    (``processed`` at once) or by an operator's bank transfer (``manual``: ``pending`` until
    recorded, :func:`kro.payments.refunds.service.record_manual_refund`). ``amount`` minor
    units; ``provider_refund_id`` is the provider's id (``manual:<bank reference>`` by hand).
    The ledger is booked when the refund is requested."""

    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: new_id("rfd"))
    payment_id: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    destination: Mapped[str] = mapped_column(String(16), comment="provider | wallet | manual")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str] = mapped_column(String(200))
    provider_refund_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Merchant API refunds: the tenant and mode (None for the products' own refunds).
    tenant_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    mode: Mapped[str | None] = mapped_column(String(8), default=None)
    failure_reason: Mapped[str | None] = mapped_column(String(200), default=None)


class PaymentEvent(Base):
    """One transition of a merchant payment (``kro.payments.states.GATEWAY``): from, to, why,
    and who (``actor``: ``api_key:<id>``, ``provider:<name>``, ``reconciliation``, …)."""

    __tablename__ = "payment_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("pev"))
    payment_id: Mapped[str] = mapped_column(String(32), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    actor: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProviderConfig(Base):
    """A tenant's use of one provider in one mode (seed 003 §4.5).

    ``credentials``: the provider keys as JSON, sealed with ``kro.kit.crypto.SecretBox``
    (AES-256-GCM; ``key_id`` names the key, for rotation); None in test mode means the
    platform's sandbox keys. ``currencies``: ISO 4217 codes enabled. ``priority``: lower is
    tried first by default routing; ``weight``: share among configurations of equal priority.
    """

    __tablename__ = "provider_configs"
    __table_args__ = (UniqueConstraint("tenant_id", "mode", "provider"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("pcf"))
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    mode: Mapped[str] = mapped_column(String(8), comment="test | live")
    provider: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(default=True)
    priority: Mapped[int] = mapped_column(default=100)
    weight: Mapped[int] = mapped_column(default=1)
    currencies: Mapped[list[str]] = mapped_column(JSON)
    credentials: Mapped[str | None] = mapped_column(Text, default=None, comment="sealed JSON")
    key_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RoutingRule(Base):
    """A tenant's routing rule for one mode (seed 003 §2.3): payments matching ``currency``,
    ``[min_amount, max_amount]`` (minor units, either open) and ``channel`` go to
    ``providers`` in order — or, with ``weights`` (same length), the first is drawn by weight
    (stable per payment). Rules are tried by ``priority`` (lower first); the first match wins;
    providers it does not name follow in the default order."""

    __tablename__ = "routing_rules"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("rte"))
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    mode: Mapped[str] = mapped_column(String(8))
    priority: Mapped[int] = mapped_column(default=100)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    min_amount: Mapped[int | None] = mapped_column(MinorUnits, default=None, comment="minor units")
    max_amount: Mapped[int | None] = mapped_column(MinorUnits, default=None, comment="minor units")
    channel: Mapped[str | None] = mapped_column(String(24), default=None)
    providers: Mapped[list[str]] = mapped_column(JSON)
    weights: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentSubscription(Base):
    """A recurring collection for a product (monthly gifts): the provider charges the payer's
    saved card every ``interval`` on a plan of its own (Paystack plans and subscriptions:
    paystack.com/docs/payments/subscriptions). One plan per subscription, so the amount of one
    never changes another's.

    ``status``: ``pending`` (first checkout not yet paid) → ``active`` (the provider's
    ``subscription.create`` named it) → ``cancelled`` (disabled by the payer or by us); a
    change of amount moves it to a new plan and subscription code. Each renewal the provider
    reports (a ``charge.success`` carrying the plan) becomes a payment of its own for
    ``(purpose, purpose_id)`` with this id in its metadata, confirmed with the provider before
    value. ``amount``: minor units of ``currency`` per interval.
    """

    __tablename__ = "payment_subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("psub"))
    provider: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(32))
    purpose_id: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units per interval")
    currency: Mapped[str] = mapped_column(String(3))
    interval: Mapped[str] = mapped_column(String(16), comment="monthly | weekly | …")
    customer_email: Mapped[str] = mapped_column(String(320))
    credit_account_id: Mapped[str] = mapped_column(String(64), comment="ledger account credited")
    plan_code: Mapped[str] = mapped_column(String(64), index=True)
    subscription_code: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    email_token: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    first_payment_id: Mapped[str | None] = mapped_column(String(32), default=None)
    renewals: Mapped[int] = mapped_column(default=0, comment="payments taken after the first")
    next_payment_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
