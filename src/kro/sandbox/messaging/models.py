"""The messaging simulators' own tables (``messaging_*`` in :class:`SandboxBase`).

Every message any simulator accepted is captured in one table, so the inbox shows them all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.db import UTCDateTime
from kro.sandbox.db import SandboxBase


class CapturedMessage(SandboxBase):
    """One accepted message to one recipient.

    - ``provider``: ``sendgrid`` | ``termii`` | ``twilio`` | ``telnyx``.
    - ``channel``: ``email`` | ``sms`` | ``whatsapp``.
    - ``message_id``: the id the provider answered (``X-Message-Id``, ``message_id``, ``sid``,
      ``data.id``).
    - ``recipient`` / ``sender``: as the caller sent them (``+234…``, ``whatsapp:+…``, email).
    - ``request``: the request's fields, credentials removed.
    """

    __tablename__ = "messaging_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(64), index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(
        String(320), index=True, comment="recipient without whatsapp:, + or case (for search)"
    )
    sender: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(500), default=None)
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    request: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProviderFault(SandboxBase):
    """The fault switch of one simulator (no row = healthy).

    - ``down``: every API call answers 503.
    - ``error_rate``: probability 0..1 that an API call answers 500.
    - ``latency``: seconds to wait before answering (to provoke client timeouts).
    """

    __tablename__ = "messaging_faults"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    down: Mapped[bool] = mapped_column(Boolean, default=False)
    error_rate: Mapped[float] = mapped_column(Float, default=0.0)
    latency: Mapped[float] = mapped_column(Float, default=0.0, comment="seconds")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
