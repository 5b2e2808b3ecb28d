"""Conversations (core): persisted messages between users, attachments, read receipts,
unread counts, cursor-paginated history, delivered live through :mod:`kro.realtime`
(``conversation.message`` and ``conversation.read`` to every member's connections).

Every function that takes a caller sees only conversations they are a member of (anyone
else's is ConversationNotFound, 404). Services only flush.

Messages that share a phone number, an email address or bank details are sent, with a
warning for the sender (taking payment outside the platform loses its protection — the
safeguard Fiverr and Upwork apply). Sending is limited to :data:`RATE` messages a minute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.conversations.errors import (
    AttachmentRefused,
    ConversationNotFound,
    EmptyMessage,
    TooManyMessages,
)
from kro.conversations.models import Conversation, ConversationMember, Message
from kro.kit.clock import utcnow
from kro.kit.ids import new_id
from kro.kit.storage import Storage
from kro.realtime.service import publish

RATE = 30  # messages a minute per sender
_PHONE = re.compile(r"(?:\+?234|\b0)[\s-]?[789][01](?:[\s-]?\d){8}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_NUBAN = re.compile(r"\b\d{10}\b")
_BANK_WORDS = re.compile(
    r"\b(account|acct|a/c|bank|gtb|gtbank|access|zenith|uba|first ?bank|opay|palmpay|kuda|"
    r"moniepoint|transfer)\b",
    re.IGNORECASE,
)


def warnings_for(body: str) -> list[str]:
    """What a message shares that should stay on the platform: ``phone``, ``email``,
    ``bank_details`` (a 10-digit NUBAN beside a bank word)."""
    found = []
    if _PHONE.search(body):
        found.append("phone")
    if _EMAIL.search(body):
        found.append("email")
    if _NUBAN.search(_PHONE.sub("", body)) and _BANK_WORDS.search(body):
        found.append("bank_details")
    return found


async def open_for_subject(
    session: AsyncSession, subject_type: str, subject_id: str, member_ids: list[str], title: str
) -> Conversation:
    """The conversation of a subject (one per subject), created with its members if new."""
    stmt = select(Conversation).where(
        Conversation.subject_type == subject_type, Conversation.subject_id == subject_id
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is not None:
        return found
    return await _create(session, member_ids, title, subject_type, subject_id)


async def open_direct(
    session: AsyncSession, user_id: str, other_id: str, title: str = ""
) -> Conversation:
    """The direct conversation (no subject) between two users, created if new (a buyer
    asking a seller before ordering)."""
    mine = select(ConversationMember.conversation_id).where(ConversationMember.user_id == user_id)
    theirs = select(ConversationMember.conversation_id).where(
        ConversationMember.user_id == other_id
    )
    stmt = select(Conversation).where(
        Conversation.subject_type.is_(None),
        Conversation.id.in_(mine),
        Conversation.id.in_(theirs),
    )
    found = (await session.execute(stmt.limit(1))).scalar_one_or_none()
    if found is not None:
        return found
    return await _create(session, [user_id, other_id], title, None, None)


async def _create(
    session: AsyncSession,
    member_ids: list[str],
    title: str,
    subject_type: str | None,
    subject_id: str | None,
) -> Conversation:
    conversation = Conversation(
        id=new_id("cnv"), title=title[:200], subject_type=subject_type, subject_id=subject_id
    )
    session.add(conversation)
    await session.flush()
    for uid in sorted(set(member_ids)):
        session.add(ConversationMember(conversation_id=conversation.id, user_id=uid))
    await session.flush()
    return conversation


async def _membership(
    session: AsyncSession, user_id: str, conversation_id: str
) -> ConversationMember:
    stmt = select(ConversationMember).where(
        ConversationMember.conversation_id == conversation_id,
        ConversationMember.user_id == user_id,
    )
    member = (await session.execute(stmt)).scalar_one_or_none()
    if member is None:
        raise ConversationNotFound()
    return member


async def members(session: AsyncSession, conversation_id: str) -> list[str]:
    stmt = select(ConversationMember.user_id).where(
        ConversationMember.conversation_id == conversation_id
    )
    return list((await session.execute(stmt)).scalars())


async def get(session: AsyncSession, user_id: str, conversation_id: str) -> Conversation:
    """A conversation the caller is a member of; ConversationNotFound (404) otherwise."""
    await _membership(session, user_id, conversation_id)
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise ConversationNotFound()
    return conversation


async def send(
    session: AsyncSession,
    user_id: str,
    conversation_id: str,
    body: str,
    attachments: list[dict[str, Any]] | None = None,
) -> Message:
    """Post a message (a member only; 404 otherwise). Raises EmptyMessage (422) and
    TooManyMessages (429, more than :data:`RATE` in the last minute). The sender reads
    ``warnings``; every member gets ``conversation.message`` live."""
    await _membership(session, user_id, conversation_id)
    text = body.strip()
    if not text and not attachments:
        raise EmptyMessage(details={"field": "body"})
    since = utcnow() - timedelta(minutes=1)
    recent = await session.scalar(
        select(func.count(Message.id)).where(
            Message.sender_id == user_id, Message.created_at >= since
        )
    )
    if (recent or 0) >= RATE:
        raise TooManyMessages()
    message = Message(
        id=new_id("msg"),
        conversation_id=conversation_id,
        sender_id=user_id,
        body=text,
        attachments=attachments or [],
        warnings=warnings_for(text),
    )
    session.add(message)
    conversation = await session.get(Conversation, conversation_id)
    if conversation is not None:
        conversation.last_message_at = utcnow()
    await mark_read(session, user_id, conversation_id, message.id, announce=False)
    await publish(
        session,
        await members(session, conversation_id),
        "conversation.message",
        {"conversation_id": conversation_id, "message_id": message.id, "sender_id": user_id},
        dedupe_key=f"conversation.message:{message.id}",
    )
    return message


async def history(
    session: AsyncSession,
    user_id: str,
    conversation_id: str,
    *,
    before: str | None = None,
    limit: int = 50,
) -> tuple[list[Message], str | None]:
    """Messages newest first, ``limit`` at a time; the cursor of the next (older) page."""
    await _membership(session, user_id, conversation_id)
    stmt = select(Message).where(Message.conversation_id == conversation_id)
    if before:
        stmt = stmt.where(Message.id < before)
    rows = list(
        (await session.execute(stmt.order_by(Message.id.desc()).limit(limit + 1))).scalars()
    )
    page = rows[:limit]
    return page, page[-1].id if len(rows) > limit else None


async def mark_read(
    session: AsyncSession,
    user_id: str,
    conversation_id: str,
    message_id: str | None = None,
    *,
    announce: bool = True,
) -> ConversationMember:
    """The caller has read up to ``message_id`` (default: the newest). Never moves back;
    the other members get ``conversation.read`` (the read receipt)."""
    member = await _membership(session, user_id, conversation_id)
    if message_id is None:
        message_id = await session.scalar(
            select(func.max(Message.id)).where(Message.conversation_id == conversation_id)
        )
    if message_id and (member.last_read_id is None or message_id > member.last_read_id):
        member.last_read_id, member.last_read_at = message_id, utcnow()
        await session.flush()
        if announce:
            others = [u for u in await members(session, conversation_id) if u != user_id]
            await publish(
                session,
                others,
                "conversation.read",
                {"conversation_id": conversation_id, "user_id": user_id, "up_to": message_id},
                dedupe_key=f"conversation.read:{conversation_id}:{user_id}:{message_id}",
            )
    await session.flush()
    return member


@dataclass(frozen=True)
class Summary:
    conversation: Conversation
    unread: int


async def unread_count(session: AsyncSession, user_id: str, conversation_id: str) -> int:
    """Messages from others newer than what the caller has read."""
    member = await _membership(session, user_id, conversation_id)
    stmt = select(func.count(Message.id)).where(
        Message.conversation_id == conversation_id, Message.sender_id != user_id
    )
    if member.last_read_id:
        stmt = stmt.where(Message.id > member.last_read_id)
    return int(await session.scalar(stmt) or 0)


async def list_for(session: AsyncSession, user_id: str, limit: int = 50) -> list[Summary]:
    """The caller's conversations, latest activity first, with unread counts."""
    mine = select(ConversationMember.conversation_id).where(ConversationMember.user_id == user_id)
    stmt = (
        select(Conversation)
        .where(Conversation.id.in_(mine))
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        .limit(limit)
    )
    rows = list((await session.execute(stmt)).scalars())
    return [Summary(c, await unread_count(session, user_id, c.id)) for c in rows]


async def read_receipts(
    session: AsyncSession, user_id: str, conversation_id: str
) -> dict[str, str | None]:
    """Each member's last read message id."""
    await _membership(session, user_id, conversation_id)
    stmt = select(ConversationMember).where(ConversationMember.conversation_id == conversation_id)
    return {m.user_id: m.last_read_id for m in (await session.execute(stmt)).scalars()}


ATTACHMENT_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/webp", "application/pdf", "text/plain"}
)
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


async def send_file(
    session: AsyncSession,
    storage: Storage,
    user_id: str,
    conversation_id: str,
    *,
    name: str,
    content_type: str,
    data: bytes,
    body: str = "",
) -> Message:
    """A message carrying one file, stored under ``conversations/{id}/…`` in
    :mod:`kro.kit.storage`. Raises AttachmentRefused (422) for another type or over 10 MB,
    and what :func:`send` raises."""
    await _membership(session, user_id, conversation_id)
    if content_type not in ATTACHMENT_TYPES or len(data) > ATTACHMENT_MAX_BYTES or not data:
        raise AttachmentRefused(details={"field": "file", "content_type": content_type})
    key = f"conversations/{conversation_id}/{new_id('att')}"
    await storage.put(key, data, content_type)
    attachment = {"key": key, "name": name[:200], "type": content_type, "size": len(data)}
    return await send(session, user_id, conversation_id, body, [attachment])


async def attachment(
    session: AsyncSession, storage: Storage, user_id: str, conversation_id: str, message_id: str
) -> tuple[dict[str, Any], bytes]:
    """A message's file (members only): its description and bytes; 404 otherwise."""
    await _membership(session, user_id, conversation_id)
    message = await session.get(Message, message_id)
    if message is None or message.conversation_id != conversation_id or not message.attachments:
        raise ConversationNotFound()
    item = message.attachments[0]
    return item, await storage.get(str(item["key"]))


async def find_for_subject(
    session: AsyncSession, subject_type: str, subject_id: str
) -> Conversation | None:
    """The conversation of a subject, if one was opened."""
    stmt = select(Conversation).where(
        Conversation.subject_type == subject_type, Conversation.subject_id == subject_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()
