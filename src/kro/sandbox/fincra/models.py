"""The Fincra simulator's own tables (``fincra_*`` in :class:`SandboxBase`).

Every row belongs to a ``business_id`` (the merchant) and every query is scoped by it.
Amounts are minor units (BIGINT); Fincra speaks major units, converted only at the edges.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.db import MinorUnits, UTCDateTime
from kro.sandbox.common.delivery import DeliveryColumns
from kro.sandbox.db import SandboxBase


class Checkout(SandboxBase):
    """One checkout payment (``POST /checkout/payments``).

    ``reference`` is Fincra's (the ``link``'s last segment); ``merchant_reference`` is the
    merchant's ``reference``, unique per business. ``status``: ``pending`` → ``success`` (paid)
    | ``failed`` (declined; may still be paid later). ``fee`` includes ``vat``; with
    ``fee_bearer == "customer"`` the customer pays ``amount + fee``, else the merchant settles
    ``amount - fee``. ``amount_received`` is what the customer actually paid.
    """

    __tablename__ = "fincra_checkouts"
    __table_args__ = (UniqueConstraint("business_id", "merchant_reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[str] = mapped_column(String(64), index=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    merchant_reference: Mapped[str] = mapped_column(String(150))
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    fee_bearer: Mapped[str] = mapped_column(String(16))
    fee: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units, VAT included")
    vat: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    amount_received: Mapped[int | None] = mapped_column(MinorUnits, default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    method: Mapped[str | None] = mapped_column(String(32), default=None)
    charge_reference: Mapped[str | None] = mapped_column(String(64), default=None)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(320), default=None)
    customer_phone: Mapped[str | None] = mapped_column(String(32), default=None)
    meta: Mapped[Any] = mapped_column("metadata", JSON, default=dict)
    redirect_url: Mapped[str | None] = mapped_column(String(500), default=None)
    payment_methods: Mapped[Any] = mapped_column(JSON, default=list)
    success_message: Mapped[str | None] = mapped_column(String(300), default=None)
    settlement_destination: Mapped[str] = mapped_column(String(16), default="wallet")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class WebhookDelivery(DeliveryColumns, SandboxBase):
    """One webhook to send: the exact body, the signature added at send time.

    ``status``: ``pending`` (due at ``next_attempt_at``) → ``delivered`` (a 2xx) | ``failed``
    (schedule exhausted). ``attempts`` holds ``{at, status_code, error}`` per try.
    """

    __tablename__ = "fincra_webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[str] = mapped_column(String(64), index=True)
    event: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(32), index=True)
