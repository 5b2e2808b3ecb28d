"""Payouts tables: ``bank_accounts``, ``payouts`` and ``payout_events``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, MinorUnits, UTCDateTime
from kro.kit.ids import new_id


class BankAccount(Base):
    """A user's Nigerian bank account (NUBAN). ``account_name`` comes from name enquiry
    (Paystack ``/bank/resolve``), never from the user. ``recipient_code`` (``RCP_…``) is set
    once the Paystack transfer recipient exists."""

    __tablename__ = "bank_accounts"
    __table_args__ = (UniqueConstraint("user_id", "bank_code", "account_number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("bac"))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    bank_code: Mapped[str] = mapped_column(String(16))
    bank_name: Mapped[str] = mapped_column(String(120))
    account_number: Mapped[str] = mapped_column(String(10))
    account_name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="NGN")
    recipient_code: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payout(Base):
    """A withdrawal from a wallet to a bank account.

    ``status`` follows :data:`kro.payouts.states.PAYOUT` (pending_approval | pending →
    processing → success | failed | reversed; needs_review), each change one
    ``payout_events`` row. ``amount`` minor units. ``reference`` is ours and is Paystack's
    idempotency key for the transfer. ``hold_transfer_id`` is the ledger hold on the wallet,
    posted on success and voided on failure.
    """

    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("po"))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    bank_account_id: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    hold_transfer_id: Mapped[str] = mapped_column(String(64))
    transfer_code: Mapped[str | None] = mapped_column(String(64), default=None)
    provider_fee: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    failure_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PayoutEvent(Base):
    """One transition of a payout (:data:`kro.payouts.states.PAYOUT`): who (``actor``:
    ``user:<id>``, ``admin:<id>``, ``provider:paystack``, ``worker``), when, from, to, why.
    ``from_status`` is None on the row that records the request itself."""

    __tablename__ = "payout_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("poe"))
    payout_id: Mapped[str] = mapped_column(ForeignKey("payouts.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
