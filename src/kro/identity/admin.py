"""Administrators: their own token strategy and a TOTP second factor (seed 001: separate
admin JWT strategy; TOTP via speakeasy for payout approvals; ``two_factor_admin``).

- Admin tokens are JWTs signed with ``KRO_ADMIN_JWT_SECRET`` and ``aud="kro-admin"``; a user
  access token (other key, no audience) never passes the admin guard, and the reverse.
- TOTP (RFC 6238): the admin's factor is the core one of :mod:`kro.identity.totp` with
  purpose ``admin`` (enrol → confirm with a first code → every sensitive action — dispute
  resolution, payout approval, fee changes — sends a fresh code); a user's own factor for the
  apps (purpose ``user``) never stands in for it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.identity import service, totp
from kro.identity.errors import AdminRequired, AdminTokenRequired, TokenExpired
from kro.identity.models import RefreshToken, User
from kro.identity.totp import Enrolment  # re-exported: callers of admin's enrolment
from kro.kit.clock import utcnow
from kro.web import sessions as web_sessions

AUDIENCE = "kro-admin"
ALGORITHM = "HS256"


def create_admin_token(user: User, *, secret: str, ttl_seconds: int) -> str:
    """A signed admin JWT: ``sub``, ``aud="kro-admin"``, ``typ="admin"``, ``iat``, ``exp``."""
    now = utcnow()
    claims = {
        "sub": user.id,
        "aud": AUDIENCE,
        "typ": "admin",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_admin_token(token: str, *, secret: str) -> dict[str, Any]:
    """Claims of a valid admin token; raises AdminTokenRequired or TokenExpired (401)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"verify_exp": False, "verify_iat": False, "require": ["aud", "sub", "exp"]},
        )
    except jwt.PyJWTError as exc:
        raise AdminTokenRequired() from exc
    if claims.get("typ") != "admin":
        raise AdminTokenRequired()
    if int(claims["exp"]) <= int(utcnow().timestamp()):
        raise TokenExpired("The admin token has expired.")
    return claims


async def login(session: AsyncSession, email: str, password: str) -> User:
    """Password check for an admin; non-admins get AdminRequired (403)."""
    user = await service.authenticate(session, email, password)
    if user.role != "admin":
        raise AdminRequired()
    return user


async def totp_enrolled(session: AsyncSession, admin: User) -> bool:
    """Whether ``admin`` has a confirmed admin authenticator."""
    return await totp.enrolled(session, admin, purpose=totp.ADMIN)


async def enrol(session: AsyncSession, admin: User, *, issuer: str) -> Enrolment:
    """Start (or restart, while unconfirmed) the admin factor's enrolment. Raises
    TotpAlreadyEnrolled (409)."""
    return await totp.enrol(session, admin, purpose=totp.ADMIN, issuer=issuer)


async def confirm(session: AsyncSession, admin: User, code: str) -> None:
    """Finish enrolment with a first valid code; raises TotpRequired (403)."""
    await totp.confirm(session, admin, code, purpose=totp.ADMIN)


async def require_totp(
    session: AsyncSession, admin: User, code: str | None, *, field: str | None = None
) -> None:
    """Check a fresh admin TOTP (or an unused recovery code) for a sensitive action.

    Raises TotpRequired (403) when the admin has not enrolled, or the code is missing, wrong
    or already used; ``field`` (the request's name for the code) goes in its
    ``details.field``, so that a form shows the error beside that field.
    """
    await totp.require(session, admin, code, purpose=totp.ADMIN, field=field)


async def search_users(session: AsyncSession, query: str | None, *, limit: int = 50) -> list[User]:
    """Users whose email or name contains ``query`` (case-insensitive), newest first."""
    stmt = select(User).order_by(User.id.desc()).limit(limit)
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(User.email.like(like), func.lower(User.full_name).like(like)))
    return list((await session.execute(stmt)).scalars())


async def set_active(session: AsyncSession, user_id: str, active: bool) -> User:
    """Suspend (``active=False``: every token stops working, refresh tokens are revoked) or
    reinstate a user. Raises UserNotFound (404)."""
    user = await service.get_user(session, user_id)
    user.is_active = active
    if not active:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    await session.flush()
    return user


async def count_users(session: AsyncSession) -> int:
    """How many accounts exist (users and admins)."""
    return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


# -- Audited use cases: the admin API and the admin console call these -----------------------


async def sign_in(session: AsyncSession, email: str, password: str, *, ip: str | None) -> User:
    """:func:`login`, audit-logged as ``admin.login``. Raises InvalidCredentials (401),
    UserInactive / AdminRequired (403)."""
    user = await login(session, email, password)
    await audit.record(
        session,
        actor_id=user.id,
        action="admin.login",
        target_type="user",
        target_id=user.id,
        ip=ip,
    )
    return user


async def start_enrolment(
    session: AsyncSession, admin: User, *, issuer: str, ip: str | None
) -> Enrolment:
    """:func:`enrol`, audit-logged as ``admin.totp_enrol``. Raises TotpAlreadyEnrolled (409)."""
    enrolment = await enrol(session, admin, issuer=issuer)
    await audit.record(
        session,
        actor_id=admin.id,
        action="admin.totp_enrol",
        target_type="user",
        target_id=admin.id,
        ip=ip,
    )
    return enrolment


async def enrolment_in_progress(
    session: AsyncSession, admin: User, *, issuer: str
) -> Enrolment | None:
    """The unconfirmed enrolment's secret and QR code again (to retry a first code), without
    its recovery codes (shown once); ``None`` when there is none."""
    return await totp.enrolment_in_progress(session, admin, purpose=totp.ADMIN, issuer=issuer)


async def finish_enrolment(
    session: AsyncSession, admin: User, code: str, *, ip: str | None, field: str | None = None
) -> None:
    """:func:`confirm`, audit-logged as ``admin.totp_confirmed``. Raises TotpRequired (403),
    with ``details.field`` = ``field`` when given."""
    await totp.confirm(session, admin, code, purpose=totp.ADMIN, field=field)
    await audit.record(
        session,
        actor_id=admin.id,
        action="admin.totp_confirmed",
        target_type="user",
        target_id=admin.id,
        ip=ip,
    )


async def change_status(
    session: AsyncSession, actor: User, user_id: str, *, active: bool, reason: str, ip: str | None
) -> User:
    """Suspend (``active=False``) or reinstate a user, audit-logged as
    ``admin.user_suspended`` / ``admin.user_reinstated`` with the reason. A suspended user's
    tokens stop working and their browser sessions end. Raises UserNotFound (404)."""
    user = await set_active(session, user_id, active)
    if not active:
        await web_sessions.end_all(session, user.id)
    await audit.record(
        session,
        actor_id=actor.id,
        action="admin.user_reinstated" if active else "admin.user_suspended",
        target_type="user",
        target_id=user.id,
        ip=ip,
        details={"reason": reason},
    )
    return user
