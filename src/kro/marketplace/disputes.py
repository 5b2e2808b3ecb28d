"""Marketplace disputes, on the core :mod:`kro.disputes`: either party opens one on a paid
order not yet completed (the order is ``disputed``: no timer touches it) or on a completed
one whose earnings are still clearing (the earning is ``frozen``: it does not clear). The
parties argue in the order's conversation (messages, files); the complaint also opens the
core dispute's thread. An admin decides with a fresh TOTP (checked and audit-logged by the
core, here or on ``/admin/disputes``); the money moves here, in :func:`_settle`, registered
for the ``marketplace`` purpose:

- ``complete``: the seller is paid (a frozen earning is unfrozen);
- ``cancel``: the buyer is refunded in full (a completed order's earnings clawed back);
- ``split``: ``seller_amount`` to the seller, the rest of their share refunded to the buyer
  (the platform keeps its commission and fee), orders not yet completed only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.disputes import registry, resolution
from kro.disputes import service as core
from kro.disputes.registry import Decision, Purpose
from kro.identity.models import User
from kro.kit.errors import InvalidTransition
from kro.marketplace import money, states
from kro.marketplace.errors import ClearanceOver, InvalidSplit, OrderNotFound
from kro.marketplace.models import Earning, Order
from kro.marketplace.orders import (
    _cancel_paid,
    _complete,
    load_for,
    post_message,
    role_of,
    transition,
)
from kro.payments.collect import service as payments
from kro.settings import Settings

PURPOSE = "marketplace"
OUTCOMES = ("complete", "cancel", "split")


async def _earning(session: AsyncSession, order_id: str) -> Earning | None:
    stmt = select(Earning).where(Earning.order_id == order_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_dispute(session: AsyncSession, user: User, order_id: str, reason: str) -> Order:
    """Either party disputes their order; ``reason`` is posted in its conversation.
    Raises OrderNotFound (404), InvalidTransition (409: not disputable, or a dispute is open
    already), ClearanceOver (409: a completed order whose earnings cleared)."""
    order = await load_for(session, user, order_id, lock=True)
    if await core.active_for(session, PURPOSE, order.id) is not None:
        raise InvalidTransition(
            "A dispute is already open on this order.", details={"state": order.status}
        )
    if order.status == states.COMPLETED:
        earning = await _earning(session, order.id)
        if earning is None or earning.status not in ("pending", "frozen"):
            raise ClearanceOver()
        earning.status = "frozen"
    else:
        await transition(session, order, "dispute", user, reason[:500])
    subject = core.Subject.of(PURPOSE, order)
    await core.open_dispute(session, subject, user, role_of(order, user.id) or "buyer", reason)
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
    """An admin decides an order's dispute (see the module). Raises TotpRequired (403),
    OrderNotFound (404), InvalidTransition / ClearanceOver (409), InvalidSplit (422)."""
    order = await session.get(Order, order_id)
    if order is None:
        raise OrderNotFound()
    dispute = await core.active_for(session, PURPOSE, order.id)
    if dispute is None:
        _check_split(order, outcome, seller_amount)
        if order.status == states.COMPLETED:
            raise ClearanceOver()
        states.ORDER.next(order.status, f"resolve_{outcome}")
        raise InvalidTransition("No dispute is open on this order.")
    await resolution.resolve_with_totp(
        session,
        admin,
        dispute.id,
        outcome,
        note,
        totp_code=totp_code,
        seller_amount=seller_amount,
        settings=settings,
        ip=ip,
    )
    return order


def _check_split(order: Order, outcome: str, seller_amount: int | None) -> None:
    if outcome == "split" and (seller_amount is None or not 0 < seller_amount < order.seller_share):
        raise InvalidSplit(details={"field": "seller_amount", "max": order.seller_share - 1})
    if outcome == "split" and order.status == states.COMPLETED:
        raise InvalidSplit("A completed order is released or refunded, not split.")


async def _check(session: AsyncSession, decision: Decision) -> None:
    """What the request asks is checked before the TOTP, so a refused one does not use up a
    code: InvalidSplit (422)."""
    order = await session.get(Order, decision.dispute.purpose_id)
    if order is None:
        raise OrderNotFound()
    _check_split(order, decision.outcome, decision.seller_amount)


async def _settle(session: AsyncSession, decision: Decision) -> dict[str, Any]:
    """Move the money for the admin's decision (see the module); returns the audit details."""
    order_id, outcome, note = decision.dispute.purpose_id, decision.outcome, decision.note
    order = await session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise OrderNotFound()
    _check_split(order, outcome, decision.seller_amount)
    admin = decision.admin
    if order.status == states.COMPLETED:
        await _settle_frozen(session, admin, order, outcome, note)
        return {"refunded": order.refunded_amount}
    if decision.settings is None:
        raise RuntimeError("a marketplace resolution needs the settings (clearance period)")
    settings = decision.settings
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
            seller_amount=decision.seller_amount,
            payment=payment,
        )
    else:
        await _cancel_paid(session, order, "resolve_cancel", admin, note, role="admin")
    return {"refunded": order.refunded_amount}


async def _settle_frozen(
    session: AsyncSession, admin: User, order: Order, outcome: str, note: str
) -> None:
    earning = await _earning(session, order.id)
    if earning is None or earning.status != "frozen":
        raise ClearanceOver(details={"earning": earning.status if earning else None})
    if outcome == "complete":
        earning.status = "pending"
        await session.flush()
        return
    payment = await payments.get_payment(session, order.payment_id or "")
    await transition(session, order, "refund", admin, note, role="admin")
    await money.claw_back_and_refund(session, order, payment, note)
    earning.status = "clawed_back"
    await session.flush()


registry.register(
    Purpose(
        PURPOSE,
        "Marketplace",
        "marketplace_order",
        (
            ("split", "Split: part to the seller, the rest back to the buyer"),
            ("complete", "Complete: the seller is paid"),
            ("cancel", "Cancel: everything back to the buyer"),
        ),
        _settle,
        check=_check,
    )
)
