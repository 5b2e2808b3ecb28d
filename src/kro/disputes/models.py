"""Dispute tables: ``disputes``, ``dispute_events``, ``dispute_messages``.

A dispute is about one product object (``purpose``, ``purpose_id``: ``"escrow"`` and an
escrow order id, ``"marketplace"`` and a marketplace order id), referred to by id, never by
relationship. Users are referred to by id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, MinorUnits, UTCDateTime
from kro.kit.ids import new_id

_ACTIVE = text("status IN ('open', 'escalated')")


class Dispute(Base):
    """A complaint about ``purpose_id`` between its ``buyer_id`` and ``seller_id``.

    ``amount`` (minor units of ``currency``) is what the buyer paid, for the admin's eyes.
    ``outcome`` is the product's word (``release``/``refund``/``split`` for escrow,
    ``complete``/``cancel``/``split`` for the marketplace); ``seller_amount`` is the seller's
    share of a split, minor units. At most one dispute per object is active (open or
    escalated): a partial unique index says so.
    """

    __tablename__ = "disputes"
    __table_args__ = (
        Index("ix_disputes_purpose", "purpose", "purpose_id"),
        Index(
            "uq_disputes_active_purpose",
            "purpose",
            "purpose_id",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("dsp"))
    purpose: Mapped[str] = mapped_column(String(32), comment="the product: escrow | marketplace")
    purpose_id: Mapped[str] = mapped_column(String(32), comment="the product's object id")
    title: Mapped[str] = mapped_column(String(200))
    buyer_id: Mapped[str] = mapped_column(String(32), index=True)
    seller_id: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="what the buyer paid, minor units")
    currency: Mapped[str] = mapped_column(String(3))
    opened_by: Mapped[str] = mapped_column(String(32))
    opened_role: Mapped[str] = mapped_column(String(8), comment="buyer | seller")
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    seller_amount: Mapped[int | None] = mapped_column(
        MinorUnits, default=None, comment="a split's share to the seller, minor units"
    )
    resolution_note: Mapped[str | None] = mapped_column(Text, default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(32), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DisputeEvent(Base):
    """One recorded transition: who (``actor_id``), when, from, to, why."""

    __tablename__ = "dispute_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("dev"))
    dispute_id: Mapped[str] = mapped_column(ForeignKey("disputes.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actor_role: Mapped[str] = mapped_column(String(8), comment="buyer | seller | admin")
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DisputeMessage(Base):
    """A message in a dispute's thread: the complaint, answers, evidence notes, the admin's
    resolution. ``evidence_key`` points at a stored file (:mod:`kro.kit.storage`), if any."""

    __tablename__ = "dispute_messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("msg"))
    dispute_id: Mapped[str] = mapped_column(ForeignKey("disputes.id"), index=True)
    author_id: Mapped[str | None] = mapped_column(String(32), default=None)
    author_role: Mapped[str] = mapped_column(String(8), comment="buyer | seller | admin")
    kind: Mapped[str] = mapped_column(
        String(16), comment="issue | message | answer | evidence | resolution"
    )
    body: Mapped[str] = mapped_column(Text)
    evidence_key: Mapped[str | None] = mapped_column(String(300), default=None)
    evidence_name: Mapped[str | None] = mapped_column(String(200), default=None)
    evidence_type: Mapped[str | None] = mapped_column(String(100), default=None)
    evidence_size: Mapped[int | None] = mapped_column(default=None, comment="bytes")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
