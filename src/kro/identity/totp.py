"""A TOTP second factor for any user (RFC 6238 with pyotp; table ``totp_factors``).

One mechanism for every audience: ``purpose`` ``admin`` is the admin console's factor
(:mod:`kro.identity.admin` wraps it with its audit entries), ``user`` a user's own factor for
sensitive actions in the apps (a pensions finance approver approving a schedule). A user may
hold one factor per purpose, each enrolled separately, so an app user's authenticator never
opens the admin console.

Enrol → confirm with a first code → each sensitive action sends a fresh code. A code is
accepted once (the last time step is stored); ten one-time recovery codes stand in for a lost
device.
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.errors import TotpAlreadyEnrolled, TotpRequired
from kro.identity.models import TotpFactor, User
from kro.kit.clock import utcnow

ADMIN = "admin"
USER = "user"
PURPOSES = (ADMIN, USER)
USER_ISSUER = "KRO"  # the name an authenticator app shows beside a user factor's account


@dataclass(frozen=True)
class Enrolment:
    """Show once: the base32 secret, its ``otpauth://`` URI, a QR code (SVG data URI) and the
    recovery codes."""

    secret: str
    otpauth_uri: str
    qr_svg_data_uri: str
    recovery_codes: list[str]


async def _factor(
    session: AsyncSession, user: User, purpose: str, *, lock: bool = False
) -> TotpFactor | None:
    return await session.get(TotpFactor, (user.id, purpose), with_for_update=lock)


async def enrolled(session: AsyncSession, user: User, *, purpose: str) -> bool:
    """Whether ``user`` has a confirmed authenticator for ``purpose``."""
    row = await _factor(session, user, purpose)
    return row is not None and row.confirmed_at is not None


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()


async def enrol(session: AsyncSession, user: User, *, purpose: str, issuer: str) -> Enrolment:
    """Start (or restart, while unconfirmed) enrolment for ``purpose``; ``issuer`` is the name
    the authenticator app shows. Raises TotpAlreadyEnrolled (409)."""
    row = await _factor(session, user, purpose)
    if row is not None and row.confirmed_at is not None:
        raise TotpAlreadyEnrolled()
    secret = pyotp.random_base32()
    codes = [secrets.token_hex(5) for _ in range(10)]
    if row is None:
        row = TotpFactor(user_id=user.id, purpose=purpose, secret=secret)
        session.add(row)
    row.secret, row.recovery_digests, row.last_step = secret, [_digest(c) for c in codes], 0
    await session.flush()
    uri, qr = _qr(secret, user, issuer)
    return Enrolment(secret, uri, qr, codes)


async def enrolment_in_progress(
    session: AsyncSession, user: User, *, purpose: str, issuer: str
) -> Enrolment | None:
    """The unconfirmed enrolment's secret and QR code again (to retry a first code), without
    its recovery codes (shown once); ``None`` when there is none."""
    row = await _factor(session, user, purpose)
    if row is None or row.confirmed_at is not None:
        return None
    uri, qr = _qr(row.secret, user, issuer)
    return Enrolment(row.secret, uri, qr, [])


def _qr(secret: str, user: User, issuer: str) -> tuple[str, str]:
    """The ``otpauth://`` URI of ``secret`` and its QR code as an SVG data URI (base64: the
    SVG's ``#`` colours would end a plain data URI at a fragment and break the image)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)
    buffer = io.BytesIO()
    segno.make(uri).save(buffer, kind="svg", scale=4, xmldecl=False)
    return uri, "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


async def confirm(
    session: AsyncSession, user: User, code: str, *, purpose: str, field: str | None = None
) -> None:
    """Finish enrolment with a first valid code. Raises TotpRequired (403), with
    ``details.field`` = ``field`` when given."""
    row = await _factor(session, user, purpose, lock=True)
    if row is None or not _accept(row, code):
        raise TotpRequired(
            "The code does not match; scan the QR code and try again.",
            details={"field": field} if field else None,
        )
    row.confirmed_at = utcnow()
    await session.flush()


async def require(
    session: AsyncSession, user: User, code: str | None, *, purpose: str, field: str | None = None
) -> None:
    """Check a fresh TOTP (or an unused recovery code) for a sensitive action.

    Raises TotpRequired (403) when the user has not enrolled for ``purpose``, or the code is
    missing, wrong or already used; ``field`` (the request's name for the code) goes in its
    ``details.field``, so that a form shows the error beside that field.
    """
    details = {"field": field} if field else None
    row = await _factor(session, user, purpose, lock=True)
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


def _accept(row: TotpFactor, code: str) -> bool:
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
