"""Browser sessions: start one at sign-in, resolve the cookie on every page, end it at
sign-out. Services only flush; the request commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.web.models import WebSession

AUDIENCES = ("app", "admin")
# last_seen_at is written at most this often (a page view must not always write).
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """Lifetimes in seconds: absolute (``ttl``) and idle (``idle``)."""

    ttl: int
    idle: int


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start(
    session: AsyncSession,
    user_id: str,
    audience: str,
    policy: SessionPolicy,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[WebSession, str]:
    """A new session for ``user_id``; returns the row and the cookie token (shown once)."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown session audience {audience!r}")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = WebSession(
        token_digest=digest(token),
        user_id=user_id,
        audience=audience,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=policy.ttl),
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(row)
    await session.flush()
    return row, token


async def resolve(
    session: AsyncSession, token: str, audience: str, policy: SessionPolicy
) -> WebSession | None:
    """The live session of ``token`` for ``audience``, or ``None`` (unknown, revoked, expired,
    idle too long, or of the other audience)."""
    if not token or len(token) > 100:
        return None
    row = (
        await session.execute(select(WebSession).where(WebSession.token_digest == digest(token)))
    ).scalar_one_or_none()
    now = utcnow()
    if (
        row is None
        or row.audience != audience
        or row.revoked_at is not None
        or row.expires_at <= now
        or row.last_seen_at + timedelta(seconds=policy.idle) <= now
    ):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        await session.flush()
    return row


async def end(session: AsyncSession, token: str) -> None:
    """Revoke the session of ``token`` (sign-out); unknown tokens are ignored."""
    await session.execute(
        update(WebSession)
        .where(WebSession.token_digest == digest(token), WebSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def end_all(session: AsyncSession, user_id: str) -> int:
    """Revoke every session of ``user_id`` (suspension, password change); returns how many."""
    result = await session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
