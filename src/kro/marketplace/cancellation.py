"""Mutual cancellation (Fiverr's "resolution center"): either party of an order paid and not
completed asks to cancel it, with a reason; the other party agrees (cancelled, the buyer
refunded in full through the core's refunds, extras included) or declines (the order goes
on). Unanswered, it is accepted ``marketplace_mutual_cancel_timeout`` later (48 h) by the
timer :func:`kro.marketplace.timers.cancel_unanswered`. While a request waits, the order
does not complete by itself. Each step is a transition of :mod:`kro.marketplace.states`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.models import User
from kro.kit.clock import utcnow
from kro.marketplace import states
from kro.marketplace.errors import CancellationPending, NoCancellationRequest, NotOrderParty
from kro.marketplace.models import Order
from kro.marketplace.orders import _cancel_paid, load_for, role_of, transition


def requested_by_role(order: Order) -> str | None:
    """Who asked for the pending mutual cancellation (buyer | seller), None if nobody."""
    if order.cancel_requested_by is None or order.status not in states.HELD:
        return None
    return role_of(order, order.cancel_requested_by)


def clear_request(order: Order) -> None:
    order.cancel_requested_by = order.cancel_requested_at = order.cancel_reason = None


async def request(session: AsyncSession, user: User, order_id: str, reason: str) -> Order:
    """A party asks to cancel. Raises OrderNotFound (404), InvalidTransition (409: not paid,
    or completed), CancellationPending (409: one already waits)."""
    order = await load_for(session, user, order_id, lock=True)
    states.ORDER.next(order.status, "request_cancellation")
    if requested_by_role(order) is not None:
        raise CancellationPending()
    order.cancel_requested_by, order.cancel_requested_at = user.id, utcnow()
    order.cancel_reason = reason[:500]
    await transition(session, order, "request_cancellation", user, reason[:500])
    return order


async def answer(session: AsyncSession, user: User, order_id: str, agree: bool) -> Order:
    """The other party agrees (cancelled, full refund) or declines. Raises OrderNotFound
    (404), NotOrderParty (403: the requester answers their own request), InvalidTransition,
    NoCancellationRequest (409)."""
    order = await load_for(session, user, order_id, lock=True)
    action = "agree_cancellation" if agree else "decline_cancellation"
    states.ORDER.next(order.status, action)
    if requested_by_role(order) is None:
        raise NoCancellationRequest()
    if order.cancel_requested_by == user.id:
        raise NotOrderParty("The other party answers your cancellation request.")
    reason = order.cancel_reason or "cancelled by mutual agreement"
    clear_request(order)
    if agree:
        await _cancel_paid(session, order, action, user, reason)
    else:
        await transition(session, order, action, user)
    return order
