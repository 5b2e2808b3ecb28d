"""Outgoing webhook tables: ``webhook_endpoints``, ``merchant_events``, ``webhook_deliveries``,
``webhook_attempts``.

Tenants are ``kro.tenants``' rows: referred to by ``tenant_id`` only (no foreign key, no
relationship), as every row here is also scoped by ``mode`` (``test`` | ``live``).
(``webhook_events`` is the payments inbox of *incoming* provider webhooks, hence
``merchant_events`` for the events we send.)
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, UTCDateTime
from kro.kit.ids import new_id

_JSON = JSON().with_variant(JSONB(), "postgresql")


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookEndpoint(Base):
    """Where a tenant receives events of one ``mode``.

    - ``enabled_events``: event types (``kro.webhooks.service.EVENT_TYPES``) or ``["*"]``.
    - ``secret``: ``whsec_`` + base64 of 32 random bytes (Standard Webhooks ``v1``, HMAC-SHA256).
      Kept as given (it must be recoverable to sign); returned only on create and rotate.
    - ``previous_secret`` / ``previous_secret_expires_at``: the secret before the last rotation,
      which still signs (a second ``v1,`` entry) until then, so receivers can switch without
      dropping messages.
    - ``status``: enabled | disabled; ``disabled_reason`` says why (``"gone"`` after a 410,
      ``"failing"`` after five days of failures, ``"manual"``).
    - ``failing_since``: first failed attempt of the current run of failures; cleared by a 2xx
      and by re-enabling.
    - ``deleted_at``: deleted endpoints are kept for their deliveries' history, never shown.
    """

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_tenant_mode", "tenant_id", "mode"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("we"))
    tenant_id: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(8), comment="test | live")
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    enabled_events: Mapped[list[str]] = mapped_column(_JSON)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100), default=None)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    status: Mapped[str] = mapped_column(String(16), default=EndpointStatus.ENABLED.value)
    disabled_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def subscribes_to(self, event_type: str) -> bool:
        return "*" in self.enabled_events or event_type in self.enabled_events


class Event(Base):
    """Something that happened to a tenant's object, sent to its endpoints.

    - ``message_id``: the Standard Webhooks ``webhook-id`` (``msg_…``), the same for every
      attempt and endpoint: receivers deduplicate on it.
    - ``data``: the event's object (amounts in minor units), as the API shows it.
    - ``body``: the exact JSON sent, ``{"type", "timestamp", "data"}``, serialised once so that
      every attempt sends (and signs) the same bytes.
    """

    __tablename__ = "merchant_events"
    __table_args__ = (Index("ix_merchant_events_tenant_mode_type", "tenant_id", "mode", "type"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ev"))
    tenant_id: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(8), comment="test | live")
    type: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(_JSON)
    body: Mapped[str] = mapped_column(Text, comment="exact bytes sent (UTF-8)")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """One event to one endpoint.

    ``status``: pending → succeeded | failed. ``attempt_count`` attempts were made;
    ``next_attempt_at`` is when the next one is due (pending only). A ``webhooks.deliver`` job
    carries the attempt number it makes, so a stale job (another one made that attempt) does
    nothing.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "endpoint_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("dlv"))
    event_id: Mapped[str] = mapped_column(String(32), index=True)
    endpoint_id: Mapped[str] = mapped_column(String(32), index=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(8), comment="test | live")
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Attempt(Base):
    """One HTTP try of a delivery: ``status_code`` (None when no response came), the first
    1 KB of the response body, ``error`` (timeout, connection refused, …), ``duration_ms``."""

    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("att"))
    delivery_id: Mapped[str] = mapped_column(String(32), index=True)
    event_id: Mapped[str] = mapped_column(String(32), index=True)
    endpoint_id: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(Integer, comment="1-based attempt of the delivery")
    url: Mapped[str] = mapped_column(String(2048))
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None, comment="≤ 1 KB")
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    duration_ms: Mapped[int] = mapped_column(Integer, comment="milliseconds")
    succeeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
