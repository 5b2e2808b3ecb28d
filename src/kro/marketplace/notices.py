"""Who hears about what happens to a marketplace order: email through
:mod:`kro.notifications` (the event ``marketplace.order_updated``, which users may turn off
in their preferences) and realtime ``order.updated`` for open pages. Both go through the
outbox in the transaction of the change, with dedupe keys: never lost, never sent twice."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from kro.marketplace.models import Order
from kro.notifications.events import EMAIL, EventSpec, register
from kro.notifications.service import notify
from kro.realtime.service import publish

EVENT = "marketplace.order_updated"
register(EventSpec(EVENT, EMAIL), templates=Path(__file__).parent / "notifications")

# action → (what happened, who is told)
NOTICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "pay": ("the order is paid", ("buyer", "seller")),
    "start": ("the buyer sent the requirements: the work has started", ("seller",)),
    "deliver": ("the seller delivered", ("buyer",)),
    "request_revision": ("the buyer asked for a revision", ("seller",)),
    "accept": ("the buyer accepted the delivery", ("seller",)),
    "auto_complete": ("the order completed by itself", ("buyer", "seller")),
    "expire": ("the order expired unpaid", ("buyer",)),
    "cancel_late": ("the buyer cancelled the late order", ("buyer", "seller")),
    "hard_limit": ("the order was cancelled at its time limit", ("buyer", "seller")),
    "mutual_cancel": ("an administrator cancelled the order", ("buyer", "seller")),
    "refund": ("an administrator refunded the order", ("buyer", "seller")),
    "add_extra": ("the buyer bought an extra", ("seller",)),
    "tip": ("the buyer sent you a tip", ("seller",)),
    "request_cancellation": ("a cancellation was requested", ("buyer", "seller")),
    "decline_cancellation": ("the cancellation request was declined", ("buyer", "seller")),
    "agree_cancellation": ("the order was cancelled by mutual agreement", ("buyer", "seller")),
    "cancellation_timeout": (
        "the unanswered cancellation request was accepted",
        ("buyer", "seller"),
    ),
    "dispute": ("a dispute was opened", ("buyer", "seller")),
    "resolve_complete": ("the dispute was decided for the seller", ("buyer", "seller")),
    "resolve_split": ("the dispute was decided with a split", ("buyer", "seller")),
    "resolve_cancel": ("the dispute was decided for the buyer", ("buyer", "seller")),
}


async def order_changed(
    session: AsyncSession, order: Order, action: str, key: str, actor_id: str | None = None
) -> None:
    """The parties' pages hear ``order.updated`` — all but the actor's, which the action's
    own answer already updated (a reload there would swallow its confirmation); the roles
    of :data:`NOTICES` get an email."""
    await publish(
        session,
        [u for u in (order.buyer_id, order.seller_id) if u != actor_id],
        "order.updated",
        {"order_id": order.id, "status": order.status, "action": action},
        dedupe_key=f"order.updated:{order.id}:{key}",
    )
    notice = NOTICES.get(action)
    if notice is None:
        return
    headline, roles = notice
    context = {
        "order_id": order.id,
        "title": order.title,
        "status": order.status,
        "headline": headline,
        "price": order.price,
        "currency": order.currency,
    }
    for role in roles:
        user_id = order.buyer_id if role == "buyer" else order.seller_id
        await notify(session, user_id, EVENT, context, dedupe_key=f"{key}:{role}")
