"""The Flutterwave simulator's own tables (``flutterwave_*`` in :class:`SandboxBase`).

Every row belongs to an ``account_id`` (the merchant) and every query is scoped by it.
Amounts are minor units (BIGINT); Flutterwave speaks major units, converted only at the edges.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.db import MinorUnits, UTCDateTime
from kro.sandbox.common.delivery import DeliveryColumns
from kro.sandbox.db import SandboxBase


class Transaction(SandboxBase):
    """One standard (hosted) payment, from ``POST /v3/payments`` on.

    ``id`` is Flutterwave's transaction id (``data.id``, ``transaction_id`` on the redirect);
    ``tx_ref`` is the merchant's, unique per account; ``token`` is the hosted link's last
    segment. ``status``: ``pending`` (link open) → ``successful`` | ``failed`` (final).
    ``app_fee``: Flutterwave's fee, borne by the merchant; ``amount_refunded``: the sum of
    its refunds (pending or completed).
    """

    __tablename__ = "flutterwave_transactions"
    __table_args__ = (UniqueConstraint("account_id", "tx_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    tx_ref: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(String(40), unique=True)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    app_fee: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    amount_refunded: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    flw_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    processor_response: Mapped[str | None] = mapped_column(String(200), default=None)
    payment_type: Mapped[str] = mapped_column(String(32), default="card")
    payment_options: Mapped[str] = mapped_column(String(200), default="card")
    customer_email: Mapped[str] = mapped_column(String(320))
    customer_name: Mapped[str | None] = mapped_column(String(200), default=None)
    customer_phone: Mapped[str | None] = mapped_column(String(32), default=None)
    redirect_url: Mapped[str | None] = mapped_column(String(500), default=None)
    customizations: Mapped[Any] = mapped_column(JSON, default=dict)
    meta: Mapped[Any] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Refund(SandboxBase):
    """One refund of a successful transaction (``POST /v3/transactions/:id/refund``).

    ``status``: ``pending`` → ``completed`` once ``completes_at`` has passed (the background
    loop) [U: Flutterwave's docs show only ``completed``]. ``amount``: minor units.
    """

    __tablename__ = "flutterwave_refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    transaction_id: Mapped[int] = mapped_column(Integer, index=True)
    flw_ref: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    comments: Mapped[str | None] = mapped_column(String(500), default=None)
    meta: Mapped[Any] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class WebhookDelivery(DeliveryColumns, SandboxBase):
    """One webhook to send: the exact body; the headers are added at send time.

    ``status``: ``pending`` (due at ``next_attempt_at``) → ``delivered`` (a 2xx) | ``failed``
    (schedule exhausted). ``attempts`` holds ``{at, status_code, error}`` per try.
    """

    __tablename__ = "flutterwave_webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    event: Mapped[str] = mapped_column(String(64))
    transaction_id: Mapped[int] = mapped_column(Integer, index=True)
    tx_ref: Mapped[str] = mapped_column(String(200), index=True)
