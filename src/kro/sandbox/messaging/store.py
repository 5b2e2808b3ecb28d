"""Capturing accepted messages and reading them back (the inbox)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.sandbox.messaging.models import CapturedMessage


async def capture(
    session: AsyncSession,
    *,
    provider: str,
    channel: str,
    message_id: str,
    recipient: str,
    sender: str,
    body: str,
    subject: str | None = None,
    html: str | None = None,
    request: dict[str, Any] | None = None,
) -> CapturedMessage:
    """Store one accepted message (flushed; the caller's unit of work commits)."""
    row = CapturedMessage(
        provider=provider,
        channel=channel,
        message_id=message_id,
        recipient=recipient,
        address=normalise_address(recipient),
        sender=sender,
        subject=subject,
        body=body,
        html=html,
        status="queued",
        request=request,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def list_messages(
    session: AsyncSession,
    *,
    recipient: str | None = None,
    provider: str | None = None,
    channel: str | None = None,
    limit: int = 100,
) -> list[CapturedMessage]:
    """Captured messages, newest first. ``recipient`` matches ignoring ``+``, ``whatsapp:``
    and case, so ``2348012345678`` finds ``+2348012345678`` and ``whatsapp:+2348012345678``."""
    query = select(CapturedMessage).order_by(CapturedMessage.id.desc())
    if provider:
        query = query.where(CapturedMessage.provider == provider)
    if channel:
        query = query.where(CapturedMessage.channel == channel)
    if recipient:
        query = query.where(CapturedMessage.address == normalise_address(recipient))
    return list((await session.scalars(query.limit(max(1, min(limit, 1000))))).all())


async def clear(session: AsyncSession) -> int:
    """Delete every captured message; returns how many."""
    rows = (await session.scalars(select(CapturedMessage.id))).all()
    await session.execute(delete(CapturedMessage))
    return len(rows)


def normalise_address(value: str) -> str:
    """``whatsapp:+234…`` / ``+234…`` → ``234…``; emails lower-cased."""
    value = value.strip().lower().removeprefix("whatsapp:")
    return value.lstrip("+")


def message_data(row: CapturedMessage) -> dict[str, Any]:
    """A captured message as the inbox's JSON shows it."""
    return {
        "id": row.id,
        "provider": row.provider,
        "channel": row.channel,
        "message_id": row.message_id,
        "to": row.recipient,
        "from": row.sender,
        "subject": row.subject,
        "body": row.body,
        "html": row.html,
        "status": row.status,
        "created_at": row.created_at.isoformat().replace("+00:00", "Z"),
    }
