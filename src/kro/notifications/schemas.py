"""Notification request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ChannelsIn(BaseModel):
    """Channels to turn on (true) or off (false); omitted ones are left as they are."""

    model_config = ConfigDict(extra="forbid")

    email: bool | None = None
    sms: bool | None = None
    whatsapp: bool | None = None


class ChannelsOut(BaseModel):
    email: bool
    sms: bool
    whatsapp: bool


class PreferenceOut(BaseModel):
    event: str
    channels: ChannelsOut


class NotificationOut(BaseModel):
    """A message sent (or to be sent) to the caller. ``status``: pending | sent | failed."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    event: str
    channel: str
    address: str
    status: str
    provider: str | None
    created_at: datetime
    sent_at: datetime | None
