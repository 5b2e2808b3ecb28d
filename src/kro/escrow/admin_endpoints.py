"""``/v1/admin/escrow/*``: administrators see every order and resolve disputes (with TOTP).

Each route lists its own errors in ``responses=``; ``AdminUser``'s (401/403) and request
validation's are added by :mod:`kro.kit.openapi`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kro.disputes.schemas import MessageOut
from kro.escrow import catalog, disputes, service
from kro.escrow.errors import InvalidSplit, OrderNotFound, TemplateNotFound
from kro.escrow.fees import FeePolicy
from kro.escrow.schemas import (
    FeeConfigOut,
    FeeIn,
    OrderOut,
    OrderSummaryOut,
    ResolveIn,
    TemplateIn,
    TemplateOut,
)
from kro.identity.dependencies import AdminUser, ClientIp
from kro.identity.errors import TotpRequired
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.errors import InvalidTransition
from kro.kit.openapi import error_responses
from kro.ledger.errors import LedgerBusy

router = APIRouter(prefix="/v1/admin/escrow/orders", tags=["admin: escrow"])


@router.get("")
async def search_orders(
    _: AdminUser,
    session: DbSession,
    status: Annotated[str | None, Query(max_length=16)] = None,
    user_id: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Envelope[list[OrderSummaryOut]]:
    """Orders by status and/or party, newest first."""
    rows = await disputes.search_orders(
        session, statuses=[status] if status else [], user_id=user_id, limit=limit
    )
    return ok(
        [
            OrderSummaryOut(
                id=o.id,
                title=o.title,
                status=o.status,
                role="admin",
                amount=o.amount,
                currency=o.currency,
                created_at=o.created_at,
            )
            for o in rows
        ]
    )


@router.get("/{order_id}", responses=error_responses(OrderNotFound))
async def get_order(order_id: str, user: AdminUser, session: DbSession) -> Envelope[OrderOut]:
    """Any order, with conditions and transitions. 404 ``order_not_found``."""
    return ok(OrderOut.of(await disputes.admin_view(session, order_id), user.id))


@router.get("/{order_id}/messages")
async def order_messages(
    order_id: str, _: AdminUser, session: DbSession
) -> Envelope[list[MessageOut]]:
    """The issue and dispute thread of any order."""
    rows = await disputes.admin_thread(session, order_id)
    return ok([MessageOut.model_validate(m) for m in rows])


@router.post(
    "/{order_id}/resolve",
    responses=error_responses(
        TotpRequired, OrderNotFound, InvalidTransition, InvalidSplit, LedgerBusy
    ),
)
async def resolve(
    order_id: str, body: ResolveIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[OrderOut]:
    """Resolve an open issue or dispute: ``release``, ``refund`` or ``split`` (with
    ``seller_amount``). Needs a fresh TOTP code (403 ``totp_required``); audit-logged. 409
    unless an issue or dispute is open; 422 ``invalid_split``."""
    order = await disputes.resolve_with_totp(
        session,
        user,
        order_id,
        body.outcome,
        body.note,
        totp_code=body.totp_code,
        seller_amount=body.seller_amount,
        ip=ip,
    )
    return ok(OrderOut.of(await service.view(session, order), user.id))


settings_router = APIRouter(prefix="/v1/admin/escrow", tags=["admin: escrow"])


@settings_router.get("/fees")
async def fees(_: AdminUser, session: DbSession) -> Envelope[list[FeeConfigOut]]:
    """Fee configurations, newest (in force) first; empty means the ``KRO_ESCROW_FEE_*``
    settings apply."""
    return ok([FeeConfigOut.model_validate(f) for f in await catalog.fee_history(session)])


@settings_router.put("/fees", responses=error_responses(TotpRequired))
async def set_fees(
    body: FeeIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[FeeConfigOut]:
    """Put a new fee in force for orders created from now on. Needs TOTP; audit-logged."""
    policy = FeePolicy(body.percent_bps, body.flat, body.cap, body.payer)
    row = await catalog.change_fees(
        session, user, policy, body.note, totp_code=body.totp_code, ip=ip
    )
    return ok(FeeConfigOut.model_validate(row))


@settings_router.get("/condition-templates")
async def all_templates(_: AdminUser, session: DbSession) -> Envelope[list[TemplateOut]]:
    """Every condition template, retired ones included."""
    rows = await catalog.templates(session, include_inactive=True)
    return ok([TemplateOut.model_validate(t) for t in rows])


@settings_router.post("/condition-templates", status_code=201)
async def add_template(
    body: TemplateIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[TemplateOut]:
    """Offer buyers a ready-made condition. Audit-logged."""
    row = await catalog.add_template(session, user, body.description, body.category, ip=ip)
    return ok(TemplateOut.model_validate(row))


@settings_router.delete(
    "/condition-templates/{template_id}", responses=error_responses(TemplateNotFound)
)
async def retire_template(
    template_id: str, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[TemplateOut]:
    """Stop offering a template (existing orders keep their conditions). Audit-logged. 404
    ``template_not_found``."""
    row = await catalog.retire_template(session, user, template_id, ip=ip)
    return ok(TemplateOut.model_validate(row))
