"""Tenant tables: ``tenants``, ``tenant_members``, ``tenant_invitations``, ``api_keys``.

Users belong to ``kro.identity``: rows refer to them by id (``user_id``), never by relationship.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, UTCDateTime
from kro.kit.ids import new_id


class Tenant(Base):
    """A business using the merchant API; created by ``created_by``, its first owner."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ten"))
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TenantMember(Base):
    """A user's ``role`` in a tenant: owner | admin | developer | viewer (see ``roles``)."""

    __tablename__ = "tenant_members"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("mem"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(16), comment="owner | admin | developer | viewer")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TenantInvitation(Base):
    """An invitation of ``email`` (lower-cased) to join with ``role``; the user signed in with
    that email accepts it. ``status``: pending | accepted | revoked."""

    __tablename__ = "tenant_invitations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("inv"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    invited_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
