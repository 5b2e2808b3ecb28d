"""Administrators: their own token strategy and a TOTP second factor (seed 001: separate
admin JWT strategy; TOTP via speakeasy for payout approvals; ``two_factor_admin``).

- Admin tokens are JWTs signed with ``KRO_ADMIN_JWT_SECRET`` and ``aud="kro-admin"``; a user
  access token (other key, no audience) never passes the admin guard, and the reverse.
- TOTP (RFC 6238) with pyotp: enrol → confirm with a first code → every sensitive action
  (dispute resolution, payout approval, fee changes) sends a fresh code. A code is accepted
  once (the last time step is stored); ten one-time recovery codes stand in for a lost device.
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import pyotp
import segno
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.identity import service
from kro.identity.errors import (
    AdminRequired,
    AdminTokenRequired,
    TokenExpired,
    TotpAlreadyEnrolled,
    TotpRequired,
)
from kro.identity.models import AdminTotp, RefreshToken, User
from kro.kit.clock import utcnow
from kro.web import sessions as web_sessions

AUDIENCE = "kro-admin"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Enrolment:
    """Show once: the base32 secret, its ``otpauth://`` URI, a QR code (SVG data URI) and the
    recovery codes."""

    secret: str
    otpauth_uri: str
    qr_svg_data_uri: str
    recovery_codes: list[str]


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
    """Whether ``admin`` has a confirmed authenticator."""
    row = await session.get(AdminTotp, admin.id)
    return row is not None and row.confirmed_at is not None


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()


async def enrol(session: AsyncSession, admin: User, *, issuer: str) -> Enrolment:
    """Start (or restart, while unconfirmed) TOTP enrolment. Raises TotpAlreadyEnrolled."""
    row = await session.get(AdminTotp, admin.id)
    if row is not None and row.confirmed_at is not None:
        raise TotpAlreadyEnrolled()
    secret = pyotp.random_base32()
    codes = [secrets.token_hex(5) for _ in range(10)]
    if row is None:
        row = AdminTotp(user_id=admin.id, secret=secret)
        session.add(row)
    row.secret, row.recovery_digests, row.last_step = secret, [_digest(c) for c in codes], 0
    await session.flush()
    uri, qr = _qr(secret, admin, issuer)
    return Enrolment(secret, uri, qr, codes)


def _qr(secret: str, admin: User, issuer: str) -> tuple[str, str]:
    """The ``otpauth://`` URI of ``secret`` and its QR code as an SVG data URI (base64: the
    SVG's ``#`` colours would end a plain data URI at a fragment and break the image)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=admin.email, issuer_name=issuer)
    buffer = io.BytesIO()
    segno.make(uri).save(buffer, kind="svg", scale=4, xmldecl=False)
    return uri, "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


async def confirm(session: AsyncSession, admin: User, code: str) -> None:
    """Finish enrolment with a first valid code; raises TotpRequired (403)."""
    row = await session.get(AdminTotp, admin.id, with_for_update=True)
    if row is None or not _accept(row, code):
        raise TotpRequired("The code does not match; scan the QR code and try again.")
    row.confirmed_at = utcnow()
    await session.flush()


async def require_totp(
    session: AsyncSession, admin: User, code: str | None, *, field: str | None = None
) -> None:
    """Check a fresh TOTP (or an unused recovery code) for a sensitive action.

    Raises TotpRequired (403) when the admin has not enrolled, or the code is missing, wrong
    or already used; ``field`` (the request's name for the code) goes in its
    ``details.field``, so that a form shows the error beside that field.
    """
    details = {"field": field} if field else None
    row = await session.get(AdminTotp, admin.id, with_for_update=True)
    if row is None or row.confirmed_at is None or not code:
        raise TotpRequired(details=details)
    if _accept(row, code):
        await session.flush()
        return
    digest = _digest(code)
    if digest in row.recovery_digests:
        row.recovery_digests = [d for d in row.recovery_digests if d != digest]
        await session.flush()
        return
    raise TotpRequired(details=details)


def _accept(row: AdminTotp, code: str) -> bool:
    """A code for the current 30 s step (±1 for clock drift), newer than the last accepted."""
    totp = pyotp.TOTP(row.secret)
    now = utcnow()
    for drift in (-1, 0, 1):
        when = now + timedelta(seconds=30 * drift)
        step = totp.timecode(when)
        # Bytes: compare_digest refuses non-ASCII str, and a code is the caller's input.
        matches = secrets.compare_digest(totp.at(when).encode(), code.strip().encode())
        if step > row.last_step and matches:
            row.last_step = step
            return True
    return False


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
    row = await session.get(AdminTotp, admin.id)
    if row is None or row.confirmed_at is not None:
        return None
    uri, qr = _qr(row.secret, admin, issuer)
    return Enrolment(row.secret, uri, qr, [])


async def finish_enrolment(
    session: AsyncSession, admin: User, code: str, *, ip: str | None, field: str | None = None
) -> None:
    """:func:`confirm`, audit-logged as ``admin.totp_confirmed``. Raises TotpRequired (403),
    with ``details.field`` = ``field`` when given."""
    try:
        await confirm(session, admin, code)
    except TotpRequired as exc:
        if field:
            exc.details = {"field": field}
        raise
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
