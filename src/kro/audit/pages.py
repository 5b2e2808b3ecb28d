"""The admin console's audit log: every sensitive action, newest first, by target or action.

Thin: :func:`kro.audit.service.entries`.
"""

from __future__ import annotations

from fastapi import Query, Request
from fastapi.responses import Response

from kro.audit import service
from kro.kit.deps import DbSession
from kro.web import navigation
from kro.web.dependencies import PageAdmin
from kro.web.routing import page_router
from kro.web.templating import render

router = page_router(tags=["admin audit pages"])
navigation.add("admin", "Audit log", "/admin/audit", order=70)

PAGE = 50
# Keys of ``details`` that the recording modules write in minor units (shown as money).
MINOR_UNIT_KEYS = frozenset({"amount", "seller_amount", "refunded", "flat", "cap"})
# Where an entry's target is shown in the console, by target type.
TARGET_PAGES = {
    "user": "/admin/users/",
    "escrow_order": "/admin/orders/",
    "payout": "/admin/payouts/",
}


@router.get("/admin/audit")
async def audit_log(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    target_id: str = Query("", max_length=64),
    action: str = Query("", max_length=64),
    before: str = Query("", max_length=32),
) -> Response:
    """Who did what to which object, from where; filter by target id or action."""
    rows = await service.entries(
        session,
        target_id=target_id.strip() or None,
        action=action.strip() or None,
        limit=PAGE,
        before_id=before or None,
    )
    older = None
    if len(rows) == PAGE:
        older = f"/admin/audit?target_id={target_id}&action={action}&before={rows[-1].id}"
    ctx = {
        "entries": rows,
        "values": {"target_id": target_id, "action": action},
        "older": older,
        "target_pages": TARGET_PAGES,
        "money_keys": MINOR_UNIT_KEYS,
    }
    return render(request, "audit/log.html", ctx)
