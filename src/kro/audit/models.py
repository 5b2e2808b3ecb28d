"""``audit_log``: one row per sensitive action. Append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, UTCDateTime
from kro.kit.ids import new_id


class AuditEntry(Base):
    """``actor_id`` did ``action`` (dotted, e.g. ``escrow.dispute_resolved``) to
    ``target_type``/``target_id`` from ``ip``; ``details`` says what changed."""

    __tablename__ = "audit_log"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("aud"))
    actor_id: Mapped[str | None] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
