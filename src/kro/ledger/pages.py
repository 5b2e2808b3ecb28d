"""The admin console's ledger: the invariant check and account balances.

Thin: the same functions as ``GET /v1/admin/ledger/invariants`` and ``GET
/v1/admin/ledger/accounts`` (:func:`kro.ledger.invariants.check_invariants`,
:func:`kro.ledger.reports.list_balances` over :func:`kro.ledger.endpoints.scope_prefixes`).
"""

from __future__ import annotations

from typing import get_args

from fastapi import Query, Request
from fastapi.responses import Response

from kro.kit.deps import DbSession
from kro.ledger.endpoints import Scope, scope_prefixes
from kro.ledger.invariants import check_invariants
from kro.ledger.reports import list_balances
from kro.web import navigation
from kro.web.dependencies import PageAdmin
from kro.web.routing import page_router
from kro.web.templating import render

router = page_router(tags=["admin ledger pages"])
navigation.add("admin", "Ledger", "/admin/ledger", order=60)

SCOPES = [("platform", "The platform's accounts"), ("order", "One escrow order"), ("all", "All")]


@router.get("/admin/ledger")
async def ledger(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    scope: str = Query("platform", max_length=16),
    order_id: str = Query("", max_length=32),
    owner_id: str = Query("", max_length=32),
    currency: str = Query("", pattern=r"^([A-Z]{3})?$"),
) -> Response:
    """Whether the ledger balances (debits = credits per currency, every balance = the sum
    of its transfers, no limit crossed) and the accounts of one view, by code."""
    chosen: Scope = scope if scope in get_args(Scope) else "platform"  # type: ignore[assignment]
    problems = await check_invariants(session)
    balances = await list_balances(
        session,
        code_prefixes=scope_prefixes(chosen, order_id or None),
        owner_id=owner_id or None,
        currency=currency or None,
    )
    ctx = {
        "problems": problems,
        "balances": balances,
        "scopes": SCOPES,
        "values": {
            "scope": chosen,
            "order_id": order_id,
            "owner_id": owner_id,
            "currency": currency,
        },
    }
    return render(request, "ledger/ledger.html", ctx)
