"""The Remita simulator's own tables (``remita_payments``, ``remita_notifications``, in
:class:`SandboxBase`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.db import MinorUnits, UTCDateTime
from kro.sandbox.db import SandboxBase


class RemitaPayment(SandboxBase):
    """An RRR: ``status`` ``025`` (generated) → ``00`` (paid) | ``02`` (declined on the page).
    ``amount`` kobo; Remita speaks naira strings at the edges."""

    __tablename__ = "remita_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(40), index=True)
    service_type_id: Mapped[str] = mapped_column(String(40))
    rrr: Mapped[str] = mapped_column(String(20), unique=True)
    order_id: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    payer_name: Mapped[str] = mapped_column(String(200))
    payer_email: Mapped[str] = mapped_column(String(200))
    payer_phone: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(4), default="025")
    channel: Mapped[str | None] = mapped_column(String(20), default=None)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RemitaNotification(SandboxBase):
    """One payment notification to send to the merchant's notification URL: the exact body
    (a JSON array of one payment), unsigned — Remita does not sign them (providers.md §4).

    ``status``: ``pending`` (due at ``next_attempt_at``) → ``delivered`` (any 2xx) |
    ``failed`` (schedule exhausted); ``attempts`` holds ``{at, status_code, error}`` per try.
    """

    __tablename__ = "remita_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rrr: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[Any] = mapped_column(JSON, default=list)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
