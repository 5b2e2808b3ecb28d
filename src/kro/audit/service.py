"""Write and read the audit log (only flush; the caller's transaction commits it with the
action it records)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit.models import AuditEntry
from kro.kit.context import current_request_id


async def record(
    session: AsyncSession,
    *,
    actor_id: str | None,
    action: str,
    target_type: str,
    target_id: str,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; ``details`` gets the request id for tracing."""
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        ip=ip,
        details={**(details or {}), "request_id": current_request_id()},
    )
    session.add(entry)
    await session.flush()
    return entry


async def entries(
    session: AsyncSession,
    *,
    target_id: str | None = None,
    action: str | None = None,
    limit: int = 100,
    before_id: str | None = None,
) -> list[AuditEntry]:
    """Newest first, optionally for one target and/or one ``action``; ``before_id`` is the
    cursor (the last id of the previous page)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target_id is not None:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list((await session.execute(stmt)).scalars())


async def entries_for_target(
    session: AsyncSession,
    *,
    target_type: str,
    target_id: str,
    limit: int = 100,
    before_id: str | None = None,
) -> list[AuditEntry]:
    """Entries about one target (e.g. a tenant), newest first; ``before_id`` is the cursor
    (the last id of the previous page)."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.target_type == target_type, AuditEntry.target_id == target_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list((await session.execute(stmt)).scalars())
