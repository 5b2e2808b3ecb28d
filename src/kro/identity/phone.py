"""Phone verification: send a 6-digit code by SMS, confirm it (issue 4 s.7; seed 001
``verificationCodes``).

Rules: the code is stored as an HMAC (never in clear; the plain code lives only in the SMS
job's context until it is sent, then it is blanked), expires after ``phone_code_ttl`` seconds
(10 min), allows ``phone_code_max_attempts`` wrong guesses (5), and may be re-sent once per
``phone_code_resend_interval`` seconds (60) and ``phone_code_max_per_hour`` times an hour (5).
A new code supersedes the previous one. A confirmed code sets ``User.phone`` and
``User.phone_verified_at``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.errors import (
    InvalidPhone,
    PhoneCodeAttemptsExceeded,
    PhoneCodeExpired,
    PhoneCodeInvalid,
    PhoneCodeLimit,
    PhoneCodeTooSoon,
)
from kro.identity.models import PhoneVerification, User
from kro.kit.clock import utcnow
from kro.kit.ids import new_id
from kro.notifications.service import notify
from kro.settings import Settings

PHONE_CODE_EVENT = "identity.phone_code"
_SEPARATORS = re.compile(r"[\s\-().]")
_E164_BODY = re.compile(r"^[1-9]\d{7,14}$")


@dataclass(frozen=True)
class PhonePolicy:
    """Secrets and limits (seconds, counts) of phone verification, from settings."""

    secret: str
    ttl: int = 600
    max_attempts: int = 5
    resend_interval: int = 60
    max_per_hour: int = 5
    default_country_code: str = "234"

    @classmethod
    def from_settings(cls, settings: Settings) -> PhonePolicy:
        return cls(
            secret=settings.jwt_secret,
            ttl=settings.phone_code_ttl,
            max_attempts=settings.phone_code_max_attempts,
            resend_interval=settings.phone_code_resend_interval,
            max_per_hour=settings.phone_code_max_per_hour,
            default_country_code=settings.phone_default_country_code,
        )


def normalise_phone(raw: str, default_country_code: str = "234") -> str:
    """E.164 (``+2348012345678``) from ``+234 801 234 5678``, ``002348…``, ``2348…`` or a
    national ``08012345678`` (``default_country_code`` replaces the leading 0).
    Raises InvalidPhone (422)."""
    value = _SEPARATORS.sub("", raw.strip())
    if value.startswith("+"):
        body = value[1:]
    elif value.startswith("00"):
        body = value[2:]
    elif value.startswith("0"):
        body = default_country_code + value[1:]
    else:
        body = value
    if not _E164_BODY.match(body):
        raise InvalidPhone(details={"phone": raw})
    return "+" + body


def _digest(policy: PhonePolicy, verification_id: str, code: str) -> str:
    message = f"{verification_id}:{code}".encode()
    return hmac.new(policy.secret.encode(), message, hashlib.sha256).hexdigest()


async def start(
    session: AsyncSession, user: User, raw_phone: str, policy: PhonePolicy
) -> PhoneVerification:
    """Send a new code to ``raw_phone`` for ``user`` (through the outbox, SMS only).

    Raises InvalidPhone (422), PhoneCodeTooSoon / PhoneCodeLimit (429).
    """
    phone = normalise_phone(raw_phone, policy.default_country_code)
    now = utcnow()
    last_hour = (
        await session.execute(
            select(func.count(), func.max(PhoneVerification.created_at)).where(
                PhoneVerification.user_id == user.id,
                PhoneVerification.created_at > now - timedelta(hours=1),
            )
        )
    ).one()
    count, latest = int(last_hour[0]), last_hour[1]
    if latest is not None and latest > now - timedelta(seconds=policy.resend_interval):
        raise PhoneCodeTooSoon(details={"retry_after": policy.resend_interval})
    if count >= policy.max_per_hour:
        raise PhoneCodeLimit()
    await session.execute(
        update(PhoneVerification)
        .where(
            PhoneVerification.user_id == user.id,
            PhoneVerification.consumed_at.is_(None),
            PhoneVerification.superseded_at.is_(None),
        )
        .values(superseded_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    verification_id = new_id("pvc")
    verification = PhoneVerification(
        id=verification_id,
        user_id=user.id,
        phone=phone,
        code_digest=_digest(policy, verification_id, code),
        attempts=0,
        expires_at=now + timedelta(seconds=policy.ttl),
        created_at=now,
    )
    session.add(verification)
    await session.flush()
    await notify(
        session,
        user.id,
        PHONE_CODE_EVENT,
        {"code": code, "minutes": policy.ttl // 60},
        dedupe_key=verification.id,
        to={"sms": phone},
    )
    await session.flush()
    return verification


async def confirm(session: AsyncSession, user: User, code: str, policy: PhonePolicy) -> User:
    """Check ``code`` against the user's current code; on success the phone is verified.

    Raises PhoneCodeExpired (400: none pending, expired), PhoneCodeAttemptsExceeded (429),
    PhoneCodeInvalid (400; the failed attempt is counted and committed).
    """
    verification = (
        await session.execute(
            select(PhoneVerification)
            .where(
                PhoneVerification.user_id == user.id,
                PhoneVerification.consumed_at.is_(None),
                PhoneVerification.superseded_at.is_(None),
            )
            .order_by(PhoneVerification.created_at.desc())
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
    now = utcnow()
    if verification is None or verification.expires_at <= now:
        raise PhoneCodeExpired()
    if verification.attempts >= policy.max_attempts:
        raise PhoneCodeAttemptsExceeded()
    expected = _digest(policy, verification.id, code.strip())
    if not hmac.compare_digest(expected, verification.code_digest):
        verification.attempts += 1
        await session.flush()
        left = max(0, policy.max_attempts - verification.attempts)
        raise PhoneCodeInvalid(details={"attempts_left": left})
    verification.consumed_at = now
    user.phone = verification.phone
    user.phone_verified_at = now
    await session.flush()
    return user
