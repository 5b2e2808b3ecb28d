"""The Providus simulator's own tables (``providus_*`` in :class:`SandboxBase`).

Every row belongs to a ``client_id`` (the merchant) and every query is scoped by it. Amounts
are kobo (BIGINT); Providus itself speaks naira strings, converted only at the edges.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.db import MinorUnits, UTCDateTime
from kro.sandbox.common.delivery import DeliveryColumns
from kro.sandbox.db import SandboxBase


class Account(SandboxBase):
    """A virtual account number that customers transfer into.

    ``kind``: ``dynamic`` (one transfer, before ``expires_at``) or ``reserved`` (many, no
    expiry, one per BVN). ``status``: ``active`` → ``used`` (a dynamic account that received
    its transfer) | ``blacklisted`` (``PiPBlacklistAccount``).
    """

    __tablename__ = "providus_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100), index=True)
    account_number: Mapped[str] = mapped_column(String(10), unique=True)
    account_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    bvn: Mapped[str | None] = mapped_column(String(11), default=None)
    initiation_tran_ref: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    status: Mapped[str] = mapped_column(String(16), default="active")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Settlement(SandboxBase):
    """One bank transfer into an account, settled to the merchant (what
    ``PiPverifyTransaction`` reports and the notification carries).

    ``settled_amount = transaction_amount - fee_amount - vat_amount``, all kobo.
    """

    __tablename__ = "providus_settlements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100), index=True)
    account_number: Mapped[str] = mapped_column(String(10), index=True)
    session_id: Mapped[str] = mapped_column(String(40), unique=True)
    settlement_id: Mapped[str] = mapped_column(String(40), unique=True)
    initiation_tran_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    transaction_amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    fee_amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    vat_amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    settled_amount: Mapped[int] = mapped_column(MinorUnits, comment="kobo")
    currency: Mapped[str] = mapped_column(String(3))
    tran_remarks: Mapped[str] = mapped_column(Text)
    source_account_number: Mapped[str] = mapped_column(String(20))
    source_account_name: Mapped[str] = mapped_column(String(200))
    source_bank_name: Mapped[str] = mapped_column(String(200))
    channel_id: Mapped[str] = mapped_column(String(8))
    tran_date_time: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(DeliveryColumns, SandboxBase):
    """One settlement notification to send: the exact body, headers added at send time.

    ``status``: ``pending`` (due at ``next_attempt_at``) → ``delivered`` (HTTP 200 with
    ``responseCode`` ``00`` or ``01``) | ``failed`` (schedule exhausted). ``attempts`` holds
    ``{at, status_code, response_code, error}`` per try.
    """

    __tablename__ = "providus_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100), index=True)
    settlement_id: Mapped[str] = mapped_column(String(40), index=True)
    account_number: Mapped[str] = mapped_column(String(10), index=True)
