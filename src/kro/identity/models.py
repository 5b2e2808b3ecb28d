"""Identity tables: ``users``, ``refresh_tokens`` and the tenants' secret ``api_keys`` (who is
calling; the keys' owners, tenants, are ``kro.tenants``'s)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, UTCDateTime
from kro.kit.ids import new_id

ROLES = ("user", "admin")


class User(Base):
    """A person who signs in. ``email`` is stored lower-cased and is unique."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("usr"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255), comment="argon2 (pwdlib)")
    role: Mapped[str] = mapped_column(String(16), default="user", comment="user | admin")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Phone verification (issue 4 s.7): set only by a confirmed code (kro.identity.phone)
    phone: Mapped[str | None] = mapped_column(
        String(20), default=None, index=True, comment="E.164, e.g. +2348012345678"
    )
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class RefreshToken(Base):
    """An opaque refresh token, stored only as its SHA-256 digest; rotated on every use.

    ``family_id`` groups a chain of rotations: presenting a token that was already rotated
    (a stolen copy) revokes the whole family.
    """

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("rtk"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TotpFactor(Base):
    """A user's TOTP second factor for one ``purpose`` (RFC 6238, 30 s steps, 6 digits; pyotp;
    service: :mod:`kro.identity.totp`).

    ``purpose``: ``admin`` (the admin console and admin API's money actions) or ``user`` (a
    user's own sensitive actions in the apps, e.g. a pensions approver's approvals); one user
    may hold one of each, enrolled separately. ``secret`` is the base32 seed;
    ``recovery_digests`` the SHA-256 digests of unused one-time recovery codes; ``last_step``
    the last accepted time step, so a code is never accepted twice. (Was ``admin_totp``.)
    """

    __tablename__ = "totp_factors"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), primary_key=True, comment="admin | user")
    secret: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    recovery_digests: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_step: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- Phone verification and magic links (issue 4 section 7; seed 001 verificationCodes,
# MagicLinkLog). Services: kro.identity.phone, kro.identity.magic_links.


class PhoneVerification(Base):
    """A 6-digit code sent by SMS to confirm ``phone`` for ``user_id``.

    ``code_digest``: HMAC-SHA256 of the code keyed by the server secret (a bare hash of six
    digits is reversed in microseconds). A new code supersedes older ones; it expires at
    ``expires_at`` (10 min), allows ``phone_code_max_attempts`` wrong guesses, and is
    ``consumed_at`` when confirmed.
    """

    __tablename__ = "phone_verifications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("pvc"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20), comment="E.164")
    code_digest: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0, comment="wrong guesses so far")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MagicLink(Base):
    """A single-use sign-in link (15 min); only the token's SHA-256 digest is stored."""

    __tablename__ = "magic_links"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("mlk"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MagicLinkEvent(Base):
    """The log of every magic-link request and use (seed 001 ``MagicLinkLog``).

    ``action``: ``issued`` | ``used`` | ``unknown_email`` (requested for no account: nothing
    sent) | ``throttled`` (too many requests: nothing sent) | ``rejected`` (a used, expired or
    unknown token was presented; ``reason`` says which).
    """

    __tablename__ = "magic_link_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("mle"))
    action: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(320), default=None, index=True)
    user_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    magic_link_id: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str | None] = mapped_column(String(64), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """A secret API key ``sk_<mode>_<random>`` of a tenant (``kro.tenants``), for one mode
    (test | live).

    Only ``digest`` (SHA-256 hex of the whole key) is stored; ``prefix`` (its first 12
    characters) finds the candidates and is what lists show. A rotated key has ``expires_at``
    (end of its grace period) and ``replaced_by``; a revoked key has ``revoked_at``.
    ``last_used_at`` is updated at most once a minute.
    """

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("key"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    mode: Mapped[str] = mapped_column(String(8), comment="test | live")
    name: Mapped[str | None] = mapped_column(String(100), default=None)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    replaced_by: Mapped[str | None] = mapped_column(String(32), default=None)
