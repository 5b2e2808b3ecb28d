"""Order use cases. Every function that takes a caller sees only orders where the caller is
the buyer or the seller (anyone else's is OrderNotFound, 404). Services only flush.

The lifecycle is :mod:`kro.marketplace.states`; the money is :mod:`kro.marketplace.money`.
Timers are periodic jobs (:mod:`kro.marketplace.tasks`) over the columns ``expires_at``,
``due_at``, ``auto_complete_at``, ``hard_limit_at`` and the earnings' ``clears_at``: each
locks the rows it found (SKIP LOCKED on PostgreSQL), re-checks the state through the table,
and does nothing to an order that moved first — so several workers may run them at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.conversations import service as chat
from kro.conversations.models import Message
from kro.identity import admin as identity_admin
from kro.identity.models import User
from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.marketplace import extras, money, notices, sellers, states, terms
from kro.marketplace.catalog import get_public
from kro.marketplace.errors import (
    ClearanceOver,
    NoRevisionsLeft,
    NotLateEnough,
    NotOrderParty,
    OrderNotFound,
    PackageNotFound,
    RequirementsMissing,
    SelfPurchase,
)
from kro.marketplace.models import (
    Category,
    Delivery,
    Earning,
    Order,
    OrderEvent,
    OrderExtra,
    Package,
    Service,
    Tip,
)
from kro.payments import states as pay_states
from kro.payments.collect import service as payments
from kro.payments.collect.service import CollectRequest, collect
from kro.payments.models import Payment
from kro.settings import Settings

PURPOSE = "marketplace"


def service_fee(price: int, settings: Settings) -> int:
    """The buyer's fee on ``price`` (minor units): ``marketplace_service_fee_bps`` rounded
    half up, at least ``_min``, at most ``_cap`` (0: no cap). Fiverr: 5.5 %."""
    fee = (price * settings.marketplace_service_fee_bps + 5_000) // 10_000
    fee = max(fee, settings.marketplace_service_fee_min)
    cap = settings.marketplace_service_fee_cap
    return min(fee, cap) if cap else fee


def commission(price: int, bps: int) -> int:
    """The seller's commission on ``price`` at ``bps`` basis points, rounded half up."""
    return (price * bps + 5_000) // 10_000


def role_of(order: Order, user_id: str) -> str | None:
    if user_id == order.buyer_id:
        return "buyer"
    if user_id == order.seller_id:
        return "seller"
    return None


async def load_for(session: AsyncSession, user: User, order_id: str, *, lock: bool) -> Order:
    """An order the caller is party to (locked and re-read with ``lock``); 404 otherwise."""
    order = await session.get(Order, order_id, with_for_update=lock or None, populate_existing=lock)
    if order is None or role_of(order, user.id) is None:
        raise OrderNotFound()
    return order


def _require(order: Order, user: User, action: str) -> None:
    wanted = states.ACTORS[action]
    if role_of(order, user.id) != wanted:
        raise NotOrderParty(f"Only the {wanted} can {action.replace('_', ' ')} this order.")


async def transition(
    session: AsyncSession,
    order: Order,
    action: str,
    actor: User | None,
    reason: str | None = None,
    *,
    role: str | None = None,
) -> None:
    """Apply ``action`` through the table (InvalidTransition, 409) and record the event."""
    step = states.ORDER.next(order.status, action)
    order.status = step.to_state
    event_id = new_id("mev")
    session.add(
        OrderEvent(
            id=event_id,
            order_id=order.id,
            action=action,
            from_state=step.from_state,
            to_state=step.to_state,
            actor_id=actor.id if actor else None,
            actor_role=role or ((role_of(order, actor.id) or "admin") if actor else "system"),
            reason=reason,
        )
    )
    await session.flush()
    await _announce(session, order, action, event_id, actor.id if actor else None)


async def _announce(
    session: AsyncSession, order: Order, action: str, key: str, actor_id: str | None
) -> None:
    """The other party's open pages follow (``order.updated``; the actor's page already
    shows the result); the right party gets an email."""
    await notices.order_changed(session, order, action, key, actor_id)


CHAT = "marketplace_order"


async def post_message(session: AsyncSession, user: User, order_id: str, body: str) -> Message:
    """A message in the order's conversation (its parties only; 404 otherwise); the order
    page of both parties follows live. Raises what conversations.send raises."""
    order = await load_for(session, user, order_id, lock=False)
    conversation = await chat.open_for_subject(
        session, CHAT, order.id, [order.buyer_id, order.seller_id], order.title
    )
    message = await chat.send(session, user.id, conversation.id, body)
    await _announce(session, order, "message", message.id, user.id)
    return message


async def order_message(
    session: AsyncSession, user: User, order_id: str, message_id: str
) -> Message:
    """One of the latest messages of the order's conversation (its parties only; the page
    inserts it live). Raises OrderNotFound (404) for anything else."""
    order = await load_for(session, user, order_id, lock=False)
    conversation = await chat.find_for_subject(session, CHAT, order.id)
    rows = await chat.history(session, user.id, conversation.id) if conversation else ([], None)
    found = next((m for m in rows[0] if m.id == message_id), None)
    if found is None:
        raise OrderNotFound()
    return found


async def order_messages(
    session: AsyncSession, user: User, order: Order, limit: int = 30
) -> tuple[str | None, list[Message]]:
    """The order conversation's id and its latest messages, oldest first (marked read)."""
    conversation = await chat.find_for_subject(session, CHAT, order.id)
    if conversation is None:
        return None, []
    rows, _ = await chat.history(session, user.id, conversation.id, limit=limit)
    await chat.mark_read(session, user.id, conversation.id)
    return conversation.id, list(reversed(rows))


async def commission_bps(session: AsyncSession, settings: Settings, service: Service) -> int:
    """The seller's commission on ``service``: its category's, else the default (bps)."""
    category = await session.get(Category, service.category_id)
    if category is not None and category.commission_bps is not None:
        return category.commission_bps
    return settings.marketplace_commission_bps


async def place_order(
    session: AsyncSession,
    settings: Settings,
    buyer: User,
    service_id: str,
    package_id: str,
    extra_ids: Sequence[str] = (),
) -> Order:
    """A ``pending`` order of one package with the extras chosen (their prices in the
    order's, their days and revisions in its terms), its fee and commission fixed now; it
    expires unpaid after ``marketplace_order_expiry``. Raises ServiceNotFound,
    PackageNotFound, ExtraNotFound (404), SelfPurchase, InvalidExtras (422)."""
    settings = await terms.effective(session, settings)  # the fee terms in force
    service = await get_public(session, service_id)
    package = await session.get(Package, package_id)
    if package is None or package.service_id != service.id:
        raise PackageNotFound(details={"field": "package_id"})
    if service.seller_id == buyer.id:
        raise SelfPurchase()
    chosen = await extras.choose(session, service.id, extra_ids)
    price = package.price + sum(e.price for e in chosen)
    bps = await commission_bps(session, settings, service)
    order = Order(
        service_id=service.id,
        package_id=package.id,
        buyer_id=buyer.id,
        seller_id=service.seller_id,
        title=f"{service.title} ({package.name})"[:200],
        currency=service.currency,
        price=price,
        service_fee=service_fee(price, settings),
        commission=commission(price, bps),
        delivery_days=package.delivery_days,
        revisions_allowed=package.revisions,
        status=states.PENDING,
        expires_at=utcnow() + timedelta(seconds=settings.marketplace_order_expiry),
    )
    for extra in chosen:
        extras.apply(order, extra.extra_days, extra.extra_revisions)
    session.add(order)
    await session.flush()
    await extras.include(session, order, chosen)
    session.add(
        OrderEvent(
            order_id=order.id,
            action="create",
            from_state="new",
            to_state=states.PENDING,
            actor_id=buyer.id,
            actor_role="buyer",
        )
    )
    await session.flush()
    await chat.open_for_subject(
        session, CHAT, order.id, [order.buyer_id, order.seller_id], order.title
    )
    return order


async def start_payment(
    session: AsyncSession, settings: Settings, buyer: User, order_id: str, callback_url: str | None
) -> Payment:
    """A hosted checkout for ``price + service_fee`` through :func:`kro.payments.collect`
    (purpose ``marketplace``) crediting the order's escrow account; the same open checkout
    on a second call. The order is read without a lock while the provider is asked.
    Raises OrderNotFound, NotOrderParty, InvalidTransition (409), and the payments core's
    errors."""
    order = await load_for(session, buyer, order_id, lock=False)
    _require(order, buyer, "cancel")  # the buyer pays
    states.ORDER.next(order.status, "pay")
    if order.payment_id:
        current = await payments.get_payment(session, order.payment_id)
        if current.status in pay_states.OPEN:
            return current
    escrow = await chart.ensure_escrow(session, order.id, order.currency)
    request = CollectRequest(
        purpose=PURPOSE,
        purpose_id=order.id,
        payer_id=buyer.id,
        email=buyer.email,
        name=buyer.full_name,
        amount=order.buyer_pays,
        currency=order.currency,
        credit_account_id=escrow.id,
        callback_url=callback_url,
        description=f"KRO Marketplace {order.title}"[:60],
        metadata={"order_id": order.id},
    )
    payment = await collect(session, settings, request)
    order = await load_for(session, buyer, order_id, lock=True)
    order.payment_id = payment.id
    await session.flush()
    return payment


async def fund(session: AsyncSession, settings: Settings, payment_id: str, order_id: str) -> bool:
    """The payment is verified and in escrow (job ``marketplace.payment_completed``;
    idempotent): the holds are placed and the order is ``paid``; the hard-limit clock starts.
    A payment for an order that ended unpaid is refunded. Returns whether it funded."""
    order = await session.get(Order, order_id, with_for_update=True, populate_existing=True)
    payment = await payments.find_payment(session, payment_id)
    if order is None or payment is None or payment.status != pay_states.COMPLETED:
        return False
    if payment.purpose != PURPOSE or payment.purpose_id != order.id:
        return False
    if order.status != states.PENDING:
        if order.payment_id != payment.id or order.status == states.CANCELLED:
            await enqueue(
                session,
                "marketplace.refund_payment",
                {"payment_id": payment.id, "order_id": order.id},
                dedupe_key=f"marketplace_refund:{payment.id}",
            )
        return False
    order.payment_id = payment.id
    await money.place_holds(session, order)
    now = utcnow()
    order.paid_at = now
    order.hard_limit_at = now + timedelta(seconds=settings.marketplace_hard_limit)
    await transition(session, order, "pay", None, reason=f"payment {payment.id} verified")
    return True


async def refund_stray_payment(session: AsyncSession, payment_id: str, order_id: str) -> None:
    """Give back a payment that completed for an order already cancelled or paid by another
    checkout (job ``marketplace.refund_payment``)."""
    from kro.payments.refunds import service as refunds

    order = await session.get(Order, order_id, with_for_update=True)
    payment = await payments.find_payment(session, payment_id, lock=True)
    if order is None or payment is None or payment.status != pay_states.COMPLETED:
        return
    if order.payment_id == payment.id and order.status != states.CANCELLED:
        return
    escrow = await chart.ensure_escrow(session, order.id, order.currency)
    await refunds.request_refund(
        session,
        payment,
        payment.amount,
        f"order {order.id} is {order.status}",
        from_account_id=escrow.id,
        refund_id=f"rfd_{payment.id}",
    )


async def submit_requirements(
    session: AsyncSession, buyer: User, order_id: str, answers: list[str]
) -> Order:
    """The buyer answers the service's requirements (every one): the work starts and is due
    ``delivery_days`` later. Raises RequirementsMissing (422) and the order errors."""
    order = await load_for(session, buyer, order_id, lock=True)
    _require(order, buyer, "start")
    states.ORDER.next(order.status, "start")
    service = await session.get(Service, order.service_id)
    required = len(service.requirements) if service else 0
    if len([a for a in answers if a.strip()]) < required:
        raise RequirementsMissing(details={"field": "answers", "required": required})
    now = utcnow()
    order.answers = [a.strip() for a in answers]
    order.started_at = now
    order.due_at = now + timedelta(days=order.delivery_days)
    await transition(session, order, "start", buyer)
    return order


async def deliver(
    session: AsyncSession,
    settings: Settings,
    seller: User,
    order_id: str,
    message: str,
    files: list[str] | None = None,
) -> Order:
    """The seller delivers: the order is ``delivered`` and completes by itself
    ``marketplace_auto_complete`` seconds after this (the last) delivery."""
    order = await load_for(session, seller, order_id, lock=True)
    _require(order, seller, "deliver")
    await transition(session, order, "deliver", seller)
    now = utcnow()
    order.delivered_at = now
    order.auto_complete_at = now + timedelta(seconds=settings.marketplace_auto_complete)
    session.add(
        Delivery(
            order_id=order.id,
            kind="delivery",
            author_id=seller.id,
            message=message,
            files=files or [],
        )
    )
    await session.flush()
    return order


async def request_revision(
    session: AsyncSession, buyer: User, order_id: str, message: str
) -> Order:
    """The buyer asks for changes: back to ``in_progress``, one of the package's revisions
    used, the auto-complete timer stopped until the next delivery. NoRevisionsLeft (409)."""
    order = await load_for(session, buyer, order_id, lock=True)
    _require(order, buyer, "request_revision")
    states.ORDER.next(order.status, "request_revision")
    if order.revisions_used >= order.revisions_allowed:
        raise NoRevisionsLeft(details={"allowed": order.revisions_allowed})
    order.revisions_used += 1
    order.auto_complete_at = None
    await transition(session, order, "request_revision", buyer, reason=message[:500])
    session.add(Delivery(order_id=order.id, kind="revision", author_id=buyer.id, message=message))
    await session.flush()
    return order


async def accept(session: AsyncSession, settings: Settings, buyer: User, order_id: str) -> Order:
    """The buyer accepts the delivery: completed, the seller's share into pending clearance."""
    order = await load_for(session, buyer, order_id, lock=True)
    _require(order, buyer, "accept")
    await _complete(session, settings, order, "accept", buyer)
    return order


async def _complete(
    session: AsyncSession,
    settings: Settings,
    order: Order,
    action: str,
    actor: User | None,
    *,
    seller_amount: int | None = None,
    payment: Payment | None = None,
) -> None:
    """Completion: both holds posted, the held extras' too (or, for a dispute split, the
    seller's for ``seller_amount`` and the rest refunded, extras included), and the
    earning starts clearing."""
    await transition(
        session, order, action, actor, role="admin" if action.startswith("resolve") else None
    )
    if seller_amount is None:
        share = await money.post_holds(session, order)
    else:
        assert payment is not None
        await money.split(session, order, payment, seller_amount, f"dispute split on {order.id}")
        share = seller_amount
    clearance = await sellers.clearance_seconds(session, settings, order.seller_id)
    now = utcnow()
    order.completed_at = now
    order.auto_complete_at = None
    session.add(
        Earning(
            order_id=order.id,
            seller_id=order.seller_id,
            amount=share,
            currency=order.currency,
            clears_at=now + timedelta(seconds=clearance),
        )
    )
    await session.flush()


async def cancel(session: AsyncSession, settings: Settings, buyer: User, order_id: str) -> Order:
    """The buyer cancels: an unpaid order at once; a paid one only when it is late and
    ``marketplace_late_grace`` has passed since its due date (full refund). Raises
    NotLateEnough (409) and the order errors."""
    order = await load_for(session, buyer, order_id, lock=True)
    _require(order, buyer, "cancel")
    if order.status == states.PENDING:
        if await payments.completed_payment_for(session, PURPOSE, order.id):
            raise NotLateEnough("The payment has arrived; the order is being funded.")
        await transition(session, order, "cancel", buyer)
        order.closed_at = utcnow()
        return order
    states.ORDER.next(order.status, "cancel_late")
    grace = timedelta(seconds=settings.marketplace_late_grace)
    due = order.due_at
    if due is None and order.paid_at is not None:
        due = order.paid_at + timedelta(days=order.delivery_days)
    if due is None or utcnow() < due + grace:
        raise NotLateEnough(
            details={"cancellable_from": (due + grace).isoformat() if due else None}
        )
    await _cancel_paid(session, order, "cancel_late", buyer, "late order cancelled by the buyer")
    return order


async def _cancel_paid(
    session: AsyncSession,
    order: Order,
    action: str,
    actor: User | None,
    reason: str,
    *,
    role: str | None = None,
) -> None:
    payment = await payments.get_payment(session, order.payment_id or "")
    await transition(session, order, action, actor, reason, role=role)
    await money.void_and_refund(session, order, payment, reason)
    await session.flush()


async def admin_cancel(
    session: AsyncSession,
    admin: User,
    order_id: str,
    reason: str,
    totp_code: str | None,
    ip: str | None = None,
) -> Order:
    """An admin cancels a paid, not completed order (mutual cancellation, a dispute decided
    for the buyer): the holds voided, the buyer refunded in full. A money move: a fresh
    TOTP (TotpRequired, 403) and an audit-log row."""
    await identity_admin.require_totp(session, admin, totp_code, field="totp_code")
    order = await session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise OrderNotFound()
    states.ORDER.next(order.status, "mutual_cancel")
    await _cancel_paid(session, order, "mutual_cancel", admin, reason, role="admin")
    await _audit(session, admin, "marketplace.order_cancelled", order, reason, ip)
    return order


async def _audit(
    session: AsyncSession, admin: User, action: str, order: Order, reason: str, ip: str | None
) -> None:
    await audit.record(
        session,
        actor_id=admin.id,
        action=action,
        target_type="marketplace_order",
        target_id=order.id,
        ip=ip,
        details={"reason": reason, "refunded": order.refunded_amount},
    )


async def admin_refund(
    session: AsyncSession,
    admin: User,
    order_id: str,
    reason: str,
    totp_code: str | None,
    ip: str | None = None,
) -> Order:
    """An admin refunds a completed order whose earnings are still clearing: the seller's
    pending earnings and the platform's take are clawed back, the buyer refunded in full.
    Raises TotpRequired (403), OrderNotFound (404), InvalidTransition, ClearanceOver (409)."""
    await identity_admin.require_totp(session, admin, totp_code, field="totp_code")
    order = await session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise OrderNotFound()
    states.ORDER.next(order.status, "refund")
    earning = (
        await session.execute(select(Earning).where(Earning.order_id == order.id).with_for_update())
    ).scalar_one()
    if earning.status not in ("pending", "frozen"):
        raise ClearanceOver(details={"earning": earning.status})
    payment = await payments.get_payment(session, order.payment_id or "")
    await transition(session, order, "refund", admin, reason, role="admin")
    await money.claw_back_and_refund(session, order, payment, reason)
    earning.status = "clawed_back"
    await session.flush()
    await _audit(session, admin, "marketplace.order_refunded", order, reason, ip)
    return order


@dataclass
class OrderView:
    order: Order
    events: list[OrderEvent]
    deliveries: list[Delivery]
    earning: Earning | None
    extras: list[OrderExtra]
    tips: list[Tip]


async def view(session: AsyncSession, order: Order) -> OrderView:
    """The order with its transitions, deliveries and revision requests, earning, extras
    and tips."""
    events = await session.execute(
        select(OrderEvent)
        .where(OrderEvent.order_id == order.id)
        .order_by(OrderEvent.created_at, OrderEvent.id)
    )
    deliveries = await session.execute(
        select(Delivery)
        .where(Delivery.order_id == order.id)
        .order_by(Delivery.created_at, Delivery.id)
    )
    earning = await session.execute(select(Earning).where(Earning.order_id == order.id))
    tips = await session.execute(
        select(Tip).where(Tip.order_id == order.id).order_by(Tip.created_at, Tip.id)
    )
    return OrderView(
        order,
        list(events.scalars()),
        list(deliveries.scalars()),
        earning.scalar_one_or_none(),
        await extras.of_order(session, order.id),
        list(tips.scalars()),
    )


async def list_orders(
    session: AsyncSession,
    user: User,
    *,
    role: str | None = None,
    limit: int = 50,
    before: str | None = None,
) -> list[Order]:
    """The caller's orders (as ``role`` buyer | seller, or both), newest first; ``before``
    an order id cursor."""
    if role == "buyer":
        who = Order.buyer_id == user.id
    elif role == "seller":
        who = Order.seller_id == user.id
    else:
        who = or_(Order.buyer_id == user.id, Order.seller_id == user.id)
    stmt = select(Order).where(who)
    if before:
        stmt = stmt.where(Order.id < before)
    return list((await session.execute(stmt.order_by(Order.id.desc()).limit(limit))).scalars())
