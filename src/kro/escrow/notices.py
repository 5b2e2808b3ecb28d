"""Who hears about what happens to an order: email/SMS through :mod:`kro.notifications`
(seed 001: SendGrid email, SMS with failover) and realtime ``order.updated``. Everything goes
through the outbox in the transaction of the change, so it is never lost and, thanks to the
dedupe keys, never sent twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kro import realtime
from kro.escrow.models import EscrowOrder
from kro.identity import service as identity
from kro.notifications.service import notify

# action → (notification event, who receives it)
NOTICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "create": ("order.seller_invited", ("seller",)),
    "accept": ("order.accepted", ("buyer",)),
    "fund": ("order.funded", ("buyer", "seller")),
    "start": ("order.started", ("buyer",)),
    "complete": ("order.completed", ("buyer",)),
    "close": ("order.released", ("buyer", "seller")),
    "auto_release": ("order.released", ("buyer", "seller")),
    "release": ("order.released", ("buyer", "seller")),
    "report_issue": ("order.issue_reported", ("seller",)),
    "escalate": ("order.disputed", ("buyer", "seller")),
    "resolve_release": ("order.resolved", ("buyer", "seller")),
    "resolve_split": ("order.resolved", ("buyer", "seller")),
    "resolve_refund": ("order.refunded", ("buyer", "seller")),
    "cancel": ("order.refunded", ("buyer",)),  # only sent when money was refunded
}


def _context(order: EscrowOrder) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "title": order.title,
        "amount": order.amount,
        "currency": order.currency,
    }


async def order_changed(
    session: AsyncSession, order: EscrowOrder, action: str, event_id: str, reason: str | None
) -> None:
    """Tell the parties about a transition (``event_id`` makes it unique)."""
    await realtime.publish(
        session,
        [order.buyer_id, order.seller_id],
        "order.updated",
        {"order_id": order.id, "action": action, "status": order.status},
        dedupe_key=f"realtime:{event_id}",
    )
    notice = NOTICES.get(action)
    if notice is None or (action == "cancel" and order.refunded_amount == 0):
        return
    name, roles = notice
    context = _context(order)
    if name in ("order.seller_invited", "order.accepted"):
        other = order.buyer_id if name == "order.seller_invited" else order.seller_id
        context["counterparty"] = (await identity.get_user(session, other)).full_name
    if name in ("order.issue_reported", "order.disputed"):
        context["reason"] = reason or ""
    if name == "order.resolved":
        context["resolution"] = reason or action.removeprefix("resolve_")
    if name == "order.refunded":
        context["refund_amount"] = order.refunded_amount
    for role in roles:
        user_id = order.buyer_id if role == "buyer" else order.seller_id
        await notify(session, user_id, name, context, dedupe_key=f"{event_id}:{role}")


async def message_posted(session: AsyncSession, order: EscrowOrder, message_id: str) -> None:
    """Tell both parties' open pages that the thread has a new message or file (live only:
    messages are not emailed one by one)."""
    await realtime.publish(
        session,
        [order.buyer_id, order.seller_id],
        "order.updated",
        {"order_id": order.id, "action": "message", "status": order.status},
        dedupe_key=f"realtime:{message_id}",
    )


async def condition_fulfilled(
    session: AsyncSession, order: EscrowOrder, condition_id: str, description: str
) -> None:
    await notify(
        session,
        order.seller_id,
        "order.condition_fulfilled",
        {**_context(order), "condition": description},
        dedupe_key=f"{order.id}:{condition_id}",
    )


async def inspection_reminder(session: AsyncSession, order: EscrowOrder) -> None:
    """A day before the inspection period ends, both parties are reminded."""
    assert order.inspection_ends_at is not None
    context = {**_context(order), "inspection_ends_at": order.inspection_ends_at.isoformat()}
    for user_id in (order.buyer_id, order.seller_id):
        await notify(
            session,
            user_id,
            "order.inspection_reminder",
            context,
            dedupe_key=f"{order.id}:inspection",
        )
