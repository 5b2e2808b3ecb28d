"""The admin console's inbound provider webhooks with their payloads (seed 001
``payment_webhook_info``).

Thin: the list and the detail are the functions ``GET /v1/admin/webhooks`` and
``GET /v1/admin/webhooks/{id}`` call (:mod:`kro.payments.inbox.admin_endpoints`).
"""

from __future__ import annotations

import json

from fastapi import Query, Request
from fastapi.responses import Response

from kro.kit.deps import DbSession
from kro.payments.inbox.service import get_event, search_events
from kro.web import navigation
from kro.web.dependencies import PageAdmin
from kro.web.routing import page_router
from kro.web.templating import render

router = page_router(tags=["admin webhook pages"])
navigation.add("admin", "Webhooks", "/admin/webhooks", order=50)

PAGE = 50


@router.get("/admin/webhooks")
async def webhooks(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    provider: str = Query("", max_length=16),
    event_type: str = Query("", max_length=64),
    status: str = Query("", max_length=16),
    q: str = Query("", max_length=100),
    before: str = Query("", max_length=32),
) -> Response:
    """Webhooks received, newest first, by provider, type, status or text in the key."""
    filters = {"provider": provider, "event_type": event_type, "status": status, "q": q}
    rows = await search_events(
        session,
        **{k: v.strip() or None for k, v in filters.items()},
        limit=PAGE,
        before=before or None,
    )
    older = None
    if len(rows) == PAGE:
        query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
        older = f"/admin/webhooks?{query}&before={rows[-1].id}"
    ctx = {"events": rows, "values": filters, "older": older}
    return render(request, "payments/inbox/admin/webhooks.html", ctx)


def pretty(payload: str) -> str:
    """The raw body indented when it is JSON (as received otherwise)."""
    try:
        return json.dumps(json.loads(payload), indent=2, ensure_ascii=False, sort_keys=True)
    except ValueError:
        return payload


@router.get("/admin/webhooks/{event_id}")
async def webhook(
    request: Request, event_id: str, viewer: PageAdmin, session: DbSession
) -> Response:
    """One webhook: what the provider sent, when, how many times, what we did with it. 404
    ``webhook_event_not_found``."""
    event = await get_event(session, event_id)
    ctx = {"event": event, "payload": pretty(event.payload)}
    return render(request, "payments/inbox/admin/webhook.html", ctx)
