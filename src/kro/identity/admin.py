"""Administrators: their own token strategy and a TOTP second factor (seed 001: separate
admin JWT strategy; TOTP via speakeasy for payout approvals; ``two_factor_admin``).

- Admin tokens are JWTs signed with ``KRO_ADMIN_JWT_SECRET`` and ``aud="kro-admin"``; a user
  access token (other key, no audience) never passes the admin guard, and the reverse.
- TOTP (RFC 6238) with pyotp: enrol → confirm with a first code → every sensitive action
  (dispute resolution, payout approval, fee changes) sends a fresh code. A code is accepted
  once (the last time step is stored); ten one-time recovery codes stand in for a lost device.
"""

from __future__ import annotations

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
    uri = pyotp.TOTP(secret).provisioning_uri(name=admin.email, issuer_name=issuer)
    buffer = io.BytesIO()
    segno.make(uri).save(buffer, kind="svg", scale=4)
    svg = buffer.getvalue().decode()
    return Enrolment(secret, uri, "data:image/svg+xml;utf8," + svg, codes)


async def confirm(session: AsyncSession, admin: User, code: str) -> None:
    """Finish enrolment with a first valid code; raises TotpRequired (403)."""
    row = await session.get(AdminTotp, admin.id, with_for_update=True)
    if row is None or not _accept(row, code):
        raise TotpRequired("The code does not match; scan the QR code and try again.")
    row.confirmed_at = utcnow()
    await session.flush()


async def require_totp(session: AsyncSession, admin: User, code: str | None) -> None:
    """Check a fresh TOTP (or an unused recovery code) for a sensitive action.

    Raises TotpRequired (403) when the admin has not enrolled, or the code is missing, wrong
    or already used.
    """
    row = await session.get(AdminTotp, admin.id, with_for_update=True)
    if row is None or row.confirmed_at is None or not code:
        raise TotpRequired()
    if _accept(row, code):
        await session.flush()
        return
    digest = _digest(code)
    if digest in row.recovery_digests:
        row.recovery_digests = [d for d in row.recovery_digests if d != digest]
        await session.flush()
        return
    raise TotpRequired()


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
