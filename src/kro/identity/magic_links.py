"""Magic links: single-use, 15-minute email links that sign a user in (issue 4 s.7; seed 001
``MagicLinkLog``).

- :func:`request_link` never tells whether the email has an account (the endpoint always
  answers 202); it emails ``{base_url}/sign-in/link?token=…`` (the sign-in page of
  :mod:`kro.identity.pages`) through the outbox and logs ``issued`` (or ``unknown_email`` /
  ``throttled``, sending nothing).
- :func:`redeem` consumes the token (only its SHA-256 digest is stored) exactly once and logs
  ``used``; a used, expired or unknown token is logged ``rejected`` and refused with 401.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast
from urllib.parse import quote

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity import security
from kro.identity.errors import MagicLinkInvalid, UserInactive
from kro.identity.models import MagicLink, MagicLinkEvent, User
from kro.identity.service import get_user, get_user_by_email, normalise_email
from kro.kit.clock import utcnow
from kro.notifications.service import notify
from kro.settings import Settings

MAGIC_LINK_EVENT = "identity.magic_link"
MAX_PER_HOUR = 5


@dataclass(frozen=True)
class MagicLinkPolicy:
    """Where links point (``base_url``) and how long they live (``ttl`` seconds)."""

    base_url: str
    ttl: int = 900
    max_per_hour: int = MAX_PER_HOUR

    @classmethod
    def from_settings(cls, settings: Settings) -> MagicLinkPolicy:
        return cls(base_url=settings.base_url, ttl=settings.magic_link_ttl)


@dataclass(frozen=True)
class Client:
    """Who asked: logged with every event (``ip``, ``user_agent`` cut to 300 characters)."""

    ip: str | None = None
    user_agent: str | None = None


def _log(session: AsyncSession, action: str, client: Client, **fields: Any) -> None:
    session.add(
        MagicLinkEvent(
            action=action,
            ip=client.ip,
            user_agent=(client.user_agent or "")[:300] or None,
            **fields,
        )
    )


async def request_link(
    session: AsyncSession, email: str, policy: MagicLinkPolicy, client: Client
) -> MagicLink | None:
    """Email a sign-in link to ``email`` if an active account has it; the link or None.

    Never raises for an unknown or inactive email (no user enumeration). At most
    ``max_per_hour`` links per user an hour; more are logged ``throttled`` and not sent.
    """
    email = normalise_email(email)
    user = await get_user_by_email(session, email)
    if user is None or not user.is_active:
        _log(session, "unknown_email", client, email=email, user_id=user.id if user else None)
        await session.flush()
        return None
    now = utcnow()
    recent = await session.scalar(
        select(func.count()).where(
            MagicLink.user_id == user.id, MagicLink.created_at > now - timedelta(hours=1)
        )
    )
    if int(recent or 0) >= policy.max_per_hour:
        _log(session, "throttled", client, email=email, user_id=user.id)
        await session.flush()
        return None
    token = "ml_" + secrets.token_urlsafe(32)
    link = MagicLink(
        user_id=user.id,
        token_digest=security.token_digest(token),
        expires_at=now + timedelta(seconds=policy.ttl),
        created_at=now,
    )
    session.add(link)
    await session.flush()
    _log(session, "issued", client, email=email, user_id=user.id, magic_link_id=link.id)
    url = f"{policy.base_url}/sign-in/link?token={quote(token)}"
    await notify(
        session,
        user.id,
        MAGIC_LINK_EVENT,
        {"link": url, "minutes": policy.ttl // 60},
        dedupe_key=link.id,
    )
    return link


async def redeem(session: AsyncSession, token: str, client: Client) -> User:
    """The user of a valid, unused, unexpired link, which is consumed (exactly once, even
    under concurrent use). Raises MagicLinkInvalid (401) or UserInactive (403)."""
    digest = security.token_digest(token)
    link = await session.scalar(select(MagicLink).where(MagicLink.token_digest == digest))
    now = utcnow()
    reason = None
    if link is None:
        reason = "unknown"
    elif link.used_at is not None:
        reason = "used"
    elif link.expires_at <= now:
        reason = "expired"
    else:
        claimed = cast(
            CursorResult[Any],
            await session.execute(
                update(MagicLink)
                .where(MagicLink.id == link.id, MagicLink.used_at.is_(None))
                .values(used_at=now)
            ),
        )
        if claimed.rowcount != 1:  # another request used it first
            reason = "used"
    if reason is not None:
        _log(
            session,
            "rejected",
            client,
            reason=reason,
            user_id=link.user_id if link else None,
            magic_link_id=link.id if link else None,
        )
        await session.flush()
        raise MagicLinkInvalid(details={"reason": reason})
    assert link is not None
    user = await get_user(session, link.user_id)
    if not user.is_active:
        raise UserInactive()
    _log(session, "used", client, user_id=user.id, magic_link_id=link.id, email=user.email)
    await session.flush()
    return user
