"""Typed view of Twilio's Message resource (only the fields we read; extras ignored)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class TwilioMessage(BaseModel):
    """A Message resource. ``status``: queued, sending, sent, delivered, undelivered, failed,
    accepted, scheduled, … (``queued`` right after creation). ``price`` is a decimal string in
    ``price_unit`` or null while queued; we never do arithmetic on it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    sid: str
    account_sid: str
    to: str
    from_: str | None = None
    body: str | None = None
    status: str
    num_segments: str | None = None
    error_code: int | None = None
    error_message: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, object]) -> TwilioMessage:
        """Build from Twilio's JSON (whose ``from`` is a Python keyword)."""
        return cls.model_validate({**data, "from_": data.get("from")})
