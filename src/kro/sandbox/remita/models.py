"""The Remita simulator's own table (``remita_payments``, in :class:`SandboxBase`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
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
