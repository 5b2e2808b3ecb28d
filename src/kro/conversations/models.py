"""Tables of ``kro.conversations`` (imported by ``kro.registry``, so ``Base.metadata`` has
them): ``conversations``, ``conversation_members`` (read receipts), ``conversation_messages``.

A conversation is between users; it may belong to a subject of another module (a
marketplace order: ``subject_type="marketplace_order"``, ``subject_id`` its id), one per
subject. Message ids are time-ordered, so they are the cursor of the history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, UTCDateTime
from kro.kit.ids import new_id


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("cnv"))
    subject_type: Mapped[str | None] = mapped_column(String(32), default=None)
    subject_id: Mapped[str | None] = mapped_column(String(32), default=None)
    title: Mapped[str] = mapped_column(String(200), default="")
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationMember(Base):
    """A member; ``last_read_id`` is the newest message they have read (read receipts)."""

    __tablename__ = "conversation_members"
    __table_args__ = (UniqueConstraint("conversation_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("cvm"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    last_read_id: Mapped[str | None] = mapped_column(String(32), default=None)
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Message(Base):
    """A message: ``attachments`` a JSON list of ``{key, name, type, size}`` (files in
    ``kro.kit.storage``); ``warnings`` what the sender was warned of (``phone``, ``email``,
    ``bank_details``: contact or payment details shared outside the platform)."""

    __tablename__ = "conversation_messages"
    __table_args__ = (Index("ix_conversation_messages_conv_id", "conversation_id", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("msg"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    sender_id: Mapped[str] = mapped_column(String(32), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
