"""``/v1/admin/escrow/*``: administrators see every order and resolve disputes (with TOTP)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from kro.escrow import disputes, service
from kro.escrow.errors import OrderNotFound
from kro.escrow.models import EscrowMessage, EscrowOrder
from kro.escrow.schemas import MessageOut, OrderOut, OrderSummaryOut, ResolveIn
from kro.identity import admin
from kro.identity.dependencies import AdminUser, ClientIp
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession

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
    stmt = select(EscrowOrder).order_by(EscrowOrder.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(EscrowOrder.status == status)
    if user_id:
        stmt = stmt.where((EscrowOrder.buyer_id == user_id) | (EscrowOrder.seller_id == user_id))
    rows = (await session.execute(stmt)).scalars()
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


@router.get("/{order_id}")
async def get_order(order_id: str, user: AdminUser, session: DbSession) -> Envelope[OrderOut]:
    """Any order, with conditions and transitions."""
    order = await session.get(EscrowOrder, order_id)
    if order is None:
        raise OrderNotFound()
    return ok(OrderOut.of(await service.view(session, order), user.id))


@router.get("/{order_id}/messages")
async def order_messages(
    order_id: str, _: AdminUser, session: DbSession
) -> Envelope[list[MessageOut]]:
    """The issue and dispute thread of any order."""
    rows = await session.execute(
        select(EscrowMessage).where(EscrowMessage.order_id == order_id).order_by(EscrowMessage.id)
    )
    return ok([MessageOut.model_validate(m) for m in rows.scalars()])


@router.post("/{order_id}/resolve")
async def resolve(
    order_id: str, body: ResolveIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[OrderOut]:
    """Resolve an open issue or dispute: ``release``, ``refund`` or ``split`` (with
    ``seller_amount``). Needs a fresh TOTP code (403 ``totp_required``); audit-logged."""
    await admin.require_totp(session, user, body.totp_code)
    order = await disputes.resolve(
        session, user, order_id, body.outcome, body.note, seller_amount=body.seller_amount, ip=ip
    )
    return ok(OrderOut.of(await service.view(session, order), user.id))
