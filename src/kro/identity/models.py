"""Identity tables: ``users`` and ``refresh_tokens``."""

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


class AdminTotp(Base):
    """An admin's TOTP second factor (RFC 6238, 30 s steps, 6 digits; pyotp).

    ``secret`` is the base32 seed; ``recovery_digests`` the SHA-256 digests of unused one-time
    recovery codes; ``last_step`` the last accepted time step, so a code is never accepted twice.
    """

    __tablename__ = "admin_totp"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    recovery_digests: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_step: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
