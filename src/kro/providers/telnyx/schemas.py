"""Typed view of Telnyx's message answer (only the fields we read; extras ignored)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class TelnyxMessage(BaseModel):
    """``data`` of ``POST /v2/messages``: ``id`` (a UUID), ``record_type`` ``"message"``,
    ``direction`` ``"outbound"``, ``text``, ``parts`` (segments)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    record_type: str = "message"
    direction: str | None = None
    text: str | None = None
    parts: int | None = None
