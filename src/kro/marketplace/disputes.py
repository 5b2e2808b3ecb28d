"""Marketplace disputes: either party opens one on a paid order not yet completed (the
order is ``disputed``: no timer touches it) or on a completed one whose earnings are still
clearing (the earning is ``frozen``: it does not clear). The parties argue in the order's
conversation (messages, files). An admin decides with a fresh TOTP (audit-logged):

- ``complete``: the seller is paid (a frozen earning is unfrozen);
- ``cancel``: the buyer is refunded in full (a completed order's earnings clawed back);
- ``split``: ``seller_amount`` to the seller, the rest of their share refunded to the buyer
  (the platform keeps its commission and fee), orders not yet completed only.

The escrow product has its own dispute machinery (threads, evidence, release/refund/split);
moving both onto one core ``kro.disputes`` is left for later.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.identity import admin as identity_admin
from kro.identity.models import User
from kro.marketplace import money, states
from kro.marketplace.errors import ClearanceOver, InvalidSplit, OrderNotFound
from kro.marketplace.models import Earning, Order
from kro.marketplace.orders import (
    _cancel_paid,
    _complete,
    load_for,
    post_message,
    transition,
)
from kro.payments.collect import service as payments
from kro.settings import Settings

OUTCOMES = ("complete", "cancel", "split")


async def _earning(session: AsyncSession, order_id: str) -> Earning | None:
    stmt = select(Earning).where(Earning.order_id == order_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_dispute(session: AsyncSession, user: User, order_id: str, reason: str) -> Order:
    """Either party disputes their order; ``reason`` is posted in its conversation.
    Raises OrderNotFound (404), InvalidTransition (409), ClearanceOver (409: a completed
    order whose earnings cleared)."""
    order = await load_for(session, user, order_id, lock=True)
    if order.status == states.COMPLETED:
        earning = await _earning(session, order.id)
        if earning is None or earning.status not in ("pending", "frozen"):
            raise ClearanceOver()
        earning.status = "frozen"
    else:
        await transition(session, order, "dispute", user, reason[:500])
    await post_message(session, user, order.id, f"Dispute opened: {reason}")
    return order


async def resolve(
    session: AsyncSession,
    settings: Settings,
    admin: User,
    order_id: str,
    outcome: str,
    note: str,
    totp_code: str | None,
    *,
    seller_amount: int | None = None,
    ip: str | None = None,
) -> Order:
    """An admin decides a dispute (see the module). Raises TotpRequired (403),
    OrderNotFound (404), InvalidTransition / ClearanceOver (409), InvalidSplit (422)."""
    order = await session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise OrderNotFound()
    # What the request asks is checked first, so a refused request does not use up a code.
    if outcome == "split" and (seller_amount is None or not 0 < seller_amount < order.seller_share):
        raise InvalidSplit(details={"field": "seller_amount", "max": order.seller_share - 1})
    if outcome == "split" and order.status == states.COMPLETED:
        raise InvalidSplit("A completed order is released or refunded, not split.")
    await identity_admin.require_totp(session, admin, totp_code, field="totp_code")
    if order.status == states.COMPLETED:
        return await _resolve_frozen(session, admin, order, outcome, note, ip)
    states.ORDER.next(order.status, f"resolve_{outcome}")
    payment = await payments.get_payment(session, order.payment_id or "")
    if outcome == "complete":
        await _complete(session, settings, order, "resolve_complete", admin)
    elif outcome == "split":
        await _complete(
            session,
            settings,
            order,
            "resolve_split",
            admin,
            seller_amount=seller_amount,
            payment=payment,
        )
    else:
        await _cancel_paid(session, order, "resolve_cancel", admin, note, role="admin")
    await _audit(session, admin, order, outcome, note, ip)
    return order


async def _resolve_frozen(
    session: AsyncSession, admin: User, order: Order, outcome: str, note: str, ip: str | None
) -> Order:
    earning = await _earning(session, order.id)
    if earning is None or earning.status != "frozen":
        raise ClearanceOver(details={"earning": earning.status if earning else None})
    if outcome == "complete":
        earning.status = "pending"
        await session.flush()
        await _audit(session, admin, order, outcome, note, ip)
        return order
    return await _refund_completed(session, admin, order, earning, note, ip)


async def _refund_completed(
    session: AsyncSession, admin: User, order: Order, earning: Earning, note: str, ip: str | None
) -> Order:
    payment = await payments.get_payment(session, order.payment_id or "")
    await transition(session, order, "refund", admin, note, role="admin")
    await money.claw_back_and_refund(session, order, payment, note)
    earning.status = "clawed_back"
    await session.flush()
    await _audit(session, admin, order, "cancel", note, ip)
    return order


async def _audit(
    session: AsyncSession, admin: User, order: Order, outcome: str, note: str, ip: str | None
) -> None:
    await audit.record(
        session,
        actor_id=admin.id,
        action="marketplace.dispute_resolved",
        target_type="marketplace_order",
        target_id=order.id,
        ip=ip,
        details={"outcome": outcome, "note": note, "refunded": order.refunded_amount},
    )
