"""``/v1/admin/webhooks``: every provider webhook received, raw payload kept (seed 001
``payment_webhook_info``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from kro.identity.dependencies import AdminUser
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.payments.errors import WebhookEventNotFound
from kro.payments.inbox import service as inbox

router = APIRouter(prefix="/v1/admin/webhooks", tags=["admin: webhooks"])


class WebhookEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    provider: str
    event_key: str
    event_type: str
    status: str
    outcome: str | None
    deliveries: int
    received_at: datetime
    processed_at: datetime | None


class WebhookEventDetail(WebhookEventOut):
    payload: str


@router.get("")
async def search(
    _: AdminUser,
    session: DbSession,
    provider: Annotated[str | None, Query(max_length=16)] = None,
    event_type: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str | None, Query(max_length=100, description="text in the key")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Envelope[list[WebhookEventOut]]:
    """Incoming webhooks, newest first, by provider, type, status or key text."""
    rows = await inbox.search_events(
        session, provider=provider, event_type=event_type, status=status, q=q, limit=limit
    )
    return ok([WebhookEventOut.model_validate(r) for r in rows])


@router.get("/{event_id}", responses=error_responses(WebhookEventNotFound))
async def detail(event_id: str, _: AdminUser, session: DbSession) -> Envelope[WebhookEventDetail]:
    """One webhook with its raw payload."""
    return ok(WebhookEventDetail.model_validate(await inbox.get_event(session, event_id)))
