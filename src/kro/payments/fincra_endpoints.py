"""``POST /v1/webhooks/fincra``: Fincra's webhooks into the inbox. Verify, store, answer 200.

Fincra wants a 200 to stop retrying (docs.fincra.com/docs/webhooks); the body is our
envelope. A bad ``signature`` is a 401 ``invalid_signature`` and nothing is stored.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from kro.identity.dependencies import AppSettings
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.payments import fincra

router = APIRouter(tags=["webhooks"])


class FincraWebhookAck(BaseModel):
    event_id: str
    duplicate: bool


@router.post("/v1/webhooks/fincra")
async def fincra_webhook(
    request: Request, session: DbSession, settings: AppSettings
) -> Envelope[FincraWebhookAck]:
    """Receive a Fincra event. The ``signature`` header must be the hex HMAC-SHA512 of the
    body keyed with our webhook secret key (401 ``invalid_signature`` otherwise). The event is
    stored once and confirmed with Fincra by a job before value moves; duplicates answer 200
    and change nothing."""
    raw = await request.body()
    event, is_new = await fincra.receive_fincra_webhook(
        session, raw, request.headers.get("signature"), settings
    )
    return ok(FincraWebhookAck(event_id=event.id, duplicate=not is_new))
