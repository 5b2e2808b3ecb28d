"""``idempotency_keys``: one row per (caller scope, key), the lock and the stored response."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, UTCDateTime
from kro.kit.ids import new_id


class IdempotencyKey(Base):
    """The first request under ``key`` for the caller ``scope`` (``user:usr_…`` or
    ``tenant:ten_…:test``).

    Inserted, committed, before the request runs: the row is the lock that a concurrent twin
    (in any process) meets. ``status`` ``running`` → ``done`` with the response stored
    (``response_status``, ``response_content_type``, ``response_body`` as the exact bytes).
    ``lock_token`` names the attempt holding the lock, so an attempt whose lock was taken over
    cannot store its response. Expired rows are taken over by the next request, and purged.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("scope", "key"),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("idk"))
    scope: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64), comment="SHA-256 of method+path+body")
    status: Mapped[str] = mapped_column(String(16), comment="running | done")
    lock_token: Mapped[str] = mapped_column(String(32))
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(default=None)
    response_content_type: Mapped[str | None] = mapped_column(String(100), default=None)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
