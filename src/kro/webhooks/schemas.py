"""Request and response bodies of the webhook endpoints and events API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kro.webhooks.policy import MAX_URL_LENGTH


class WebhookEndpointIn(BaseModel):
    """``enabled_events``: types from ``EVENT_TYPES``, or ``["*"]`` for all. ``url``: http or
    https in test mode; https to a public host in live mode."""

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    enabled_events: list[str] = Field(min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=500)


class WebhookEndpointPatch(BaseModel):
    """Only the fields sent change; ``"description": null`` clears it. ``enabled: true``
    re-enables a disabled endpoint and forgets its failures."""

    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL_LENGTH)
    enabled_events: list[str] | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None


class WebhookEndpointOut(BaseModel):
    """An endpoint as lists show it: never its secret. ``status`` enabled | disabled;
    ``disabled_reason`` gone (it answered 410) | failing (5 days of failures) | manual;
    ``failing_since``: first failure of the current run of failures;
    ``previous_secret_expires_at``: until then the pre-rotation secret also signs."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    mode: str
    url: str
    description: str | None
    enabled_events: list[str]
    status: str
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookEndpointSecretOut(WebhookEndpointOut):
    """``secret`` (``whsec_…``, Standard Webhooks) is shown on create and rotate only; verify
    our ``webhook-signature`` with it (e.g. ``standardwebhooks.Webhook(secret).verify``)."""

    secret: str


class DeliveryOut(BaseModel):
    """The event's delivery to one endpoint: ``status`` pending | succeeded | failed."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    endpoint_id: str
    status: str
    attempt_count: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None


class EventOut(BaseModel):
    """An event. ``message_id`` is the ``webhook-id`` header of every attempt (deduplicate on
    it); ``data`` is the object (amounts in minor units)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    mode: str
    type: str
    message_id: str
    data: dict[str, Any]
    created_at: datetime


class EventDetailOut(EventOut):
    """An event with its deliveries, one per endpoint."""

    deliveries: list[DeliveryOut]


class AttemptOut(BaseModel):
    """One HTTP try: ``status_code`` null when no response came (``error`` says why);
    ``response_body``: the first 1 KB; ``duration_ms`` in milliseconds."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    delivery_id: str
    endpoint_id: str
    number: int
    url: str
    status_code: int | None
    succeeded: bool
    response_body: str | None
    error: str | None
    duration_ms: int
    created_at: datetime


class RetryIn(BaseModel):
    """Without ``endpoint_id``: every enabled endpoint the event went to."""

    endpoint_id: str | None = Field(default=None, max_length=32)
