"""``POST /v1/webhooks/paystack``: the inbox door. Verify, store, answer 200 fast."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from kro.identity.dependencies import AppSettings
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.payments import service

router = APIRouter(tags=["webhooks"])


class WebhookAck(BaseModel):
    event_id: str
    duplicate: bool


@router.post("/v1/webhooks/paystack")
async def paystack_webhook(
    request: Request, session: DbSession, settings: AppSettings
) -> Envelope[WebhookAck]:
    """Receive a Paystack event. The ``x-paystack-signature`` header must be the HMAC-SHA512
    of the raw body keyed with our secret key (401 ``invalid_signature`` otherwise). The event
    is stored once and processed by a job; duplicates answer 200 and change nothing."""
    raw = await request.body()
    event, is_new = await service.receive_paystack_webhook(
        session, raw, request.headers.get("x-paystack-signature"), settings.paystack_secret_key
    )
    return ok(WebhookAck(event_id=event.id, duplicate=not is_new))
