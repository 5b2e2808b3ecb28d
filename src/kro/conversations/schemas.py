"""Conversation request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from kro.conversations.models import Conversation, Message


class DirectIn(BaseModel):
    user_id: str = Field(max_length=32)


class MessageIn(BaseModel):
    body: str = Field(max_length=5_000)


class ReadIn(BaseModel):
    message_id: str | None = Field(None, max_length=32)


class MessageOut(BaseModel):
    """``warnings`` (for the sender): ``phone`` | ``email`` | ``bank_details`` shared."""

    id: str
    conversation_id: str
    sender_id: str
    body: str
    attachments: list[dict[str, Any]]
    warnings: list[str]
    created_at: datetime

    @classmethod
    def of(cls, m: Message, viewer_id: str) -> MessageOut:
        return cls(
            id=m.id,
            conversation_id=m.conversation_id,
            sender_id=m.sender_id,
            body=m.body,
            attachments=[{k: v for k, v in a.items() if k != "key"} for a in m.attachments],
            warnings=list(m.warnings) if m.sender_id == viewer_id else [],
            created_at=m.created_at,
        )


class ConversationOut(BaseModel):
    id: str
    title: str
    subject_type: str | None
    subject_id: str | None
    unread: int
    read_up_to: dict[str, str | None] = Field(default_factory=dict)
    last_message_at: datetime | None

    @classmethod
    def of(
        cls, c: Conversation, unread: int, receipts: dict[str, str | None] | None = None
    ) -> ConversationOut:
        return cls(
            id=c.id,
            title=c.title,
            subject_type=c.subject_type,
            subject_id=c.subject_id,
            unread=unread,
            read_up_to=receipts or {},
            last_message_at=c.last_message_at,
        )
