"""Escrow tables: ``escrow_orders``, ``escrow_conditions``, ``escrow_order_events``.

Users and payments are referred to by id (other modules' tables), never by relationship.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, MinorUnits, UTCDateTime
from kro.kit.ids import new_id


class EscrowOrder(Base):
    """A conditional payment: the buyer pays ``amount`` into escrow; it is released to the
    seller (less ``seller_fee``) when every condition is fulfilled.

    Amounts are minor units of ``currency``. ``buyer_fee``/``seller_fee`` are fixed at
    creation from the fee policy then in force.
    """

    __tablename__ = "escrow_orders"
    __table_args__ = (Index("ix_escrow_orders_status_expires", "status", "expires_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ord"))
    buyer_id: Mapped[str] = mapped_column(String(32), index=True)
    seller_id: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="price, minor units")
    currency: Mapped[str] = mapped_column(String(3))
    buyer_fee: Mapped[int] = mapped_column(MinorUnits, comment="minor units, added at checkout")
    seller_fee: Mapped[int] = mapped_column(MinorUnits, comment="minor units, kept at release")
    fee_payer: Mapped[str] = mapped_column(String(8), comment="buyer | seller | split")
    status: Mapped[str] = mapped_column(String(16), default="created")
    payment_id: Mapped[str | None] = mapped_column(String(32), default=None)
    held_amount: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    released_amount: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    refunded_amount: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    inspection_days: Mapped[int] = mapped_column(default=3, comment="1-30 days after completion")
    inspection_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    funded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def buyer_pays(self) -> int:
        """What the checkout charges the buyer, minor units."""
        return self.amount + self.buyer_fee


class EscrowCondition(Base):
    """A condition the buyer listed at creation; fulfilled by the buyer after completion."""

    __tablename__ = "escrow_conditions"
    __table_args__ = (UniqueConstraint("order_id", "position"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("cnd"))
    order_id: Mapped[str] = mapped_column(ForeignKey("escrow_orders.id"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(500))
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    fulfilled_by: Mapped[str | None] = mapped_column(String(32), default=None)


class EscrowOrderEvent(Base):
    """One recorded transition: who (``actor_id``, null for the system), when, from, to, why."""

    __tablename__ = "escrow_order_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("oev"))
    order_id: Mapped[str] = mapped_column(ForeignKey("escrow_orders.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actor_role: Mapped[str] = mapped_column(String(8), comment="buyer | seller | system")
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EscrowMessage(Base):
    """A message on an issue or dispute, as escrow stored them before disputes became the
    core module :mod:`kro.disputes`. No longer written or read: threads live in
    ``dispute_messages``; the table stays until a migration moves its rows there."""

    __tablename__ = "escrow_messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("msg"))
    order_id: Mapped[str] = mapped_column(ForeignKey("escrow_orders.id"), index=True)
    author_id: Mapped[str | None] = mapped_column(String(32), default=None)
    author_role: Mapped[str] = mapped_column(String(8), comment="buyer | seller | admin")
    kind: Mapped[str] = mapped_column(String(16), comment="issue | answer | evidence | resolution")
    body: Mapped[str] = mapped_column(Text)
    evidence_key: Mapped[str | None] = mapped_column(String(300), default=None)
    evidence_name: Mapped[str | None] = mapped_column(String(200), default=None)
    evidence_type: Mapped[str | None] = mapped_column(String(100), default=None)
    evidence_size: Mapped[int | None] = mapped_column(default=None, comment="bytes")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeeConfiguration(Base):
    """The platform fee on new escrow orders (seed 001 ``fee_configuration``). Rows are never
    changed: the newest is in force, the older ones are its history. Amounts in minor units."""

    __tablename__ = "escrow_fee_configurations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("fee"))
    percent_bps: Mapped[int] = mapped_column(comment="basis points; 150 = 1.5 %")
    flat: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    cap: Mapped[int] = mapped_column(MinorUnits, comment="minor units; 0 = no cap")
    payer: Mapped[str] = mapped_column(String(8), comment="buyer | seller | split")
    created_by: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConditionTemplate(Base):
    """A ready-made condition buyers can pick when creating an order (seed 001
    "conditions-seed")."""

    __tablename__ = "escrow_condition_templates"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("tpl"))
    description: Mapped[str] = mapped_column(String(500))
    category: Mapped[str | None] = mapped_column(String(64), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
