"""Notification tables: ``notifications``, ``notification_attempts``, ``notification_preferences``.

Rows refer to users by id only (identity owns ``users``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, UTCDateTime
from kro.kit.ids import new_id

_JSON = JSON().with_variant(JSONB(), "postgresql")


class Notification(Base):
    """One message of one event to one user on one channel.

    Unique on ``(user_id, event, channel, dedupe_key)``: the same event (e.g. ``dedupe_key`` =
    the order id) is never written, hence never sent, twice. ``status``: ``pending`` → ``sent``
    (``provider`` and ``provider_message_id`` recorded before the job finishes) or ``failed``
    (every provider failed on the job's last attempt; retrying the dead job tries again).
    ``context`` holds the template variables; secrets in it are blanked after sending.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "event", "channel", "dedupe_key"),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        CheckConstraint("channel IN ('email', 'sms', 'whatsapp')", name="channel"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ntf"))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    event: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(320), comment="email or E.164 phone number")
    context: Mapped[dict[str, Any]] = mapped_column(_JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    provider: Mapped[str | None] = mapped_column(String(32), default=None)
    provider_message_id: Mapped[str | None] = mapped_column(String(128), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class NotificationAttempt(Base):
    """One call to one provider for one notification, whatever came of it.

    ``outcome``: ``sent`` | ``unavailable`` (refused before sending: down, 5xx, 429) |
    ``timeout`` (no answer in time: the message may have gone) | ``rejected`` (4xx) |
    ``error`` (anything else). ``duration_ms``: wall time of the call in milliseconds.
    """

    __tablename__ = "notification_attempts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("nta"))
    notification_id: Mapped[str] = mapped_column(String(32), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, default=None)
    provider_message_id: Mapped[str | None] = mapped_column(String(128), default=None)
    duration_ms: Mapped[int] = mapped_column(Integer, comment="milliseconds")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationPreference(Base):
    """A user's choice for one event on one channel (no row = the event's default)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "event", "channel"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ntp"))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    event: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
