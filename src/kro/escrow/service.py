"""Escrow use cases. Every function takes the caller and sees only orders where the caller is
the buyer or the seller (another user's order is OrderNotFound, 404). Services only flush.

Money (DESIGN.md section 4: escrow is a pending transfer):

- **pay**: a Paystack checkout for ``amount + buyer_fee`` that credits the order's escrow
  account once ``charge.success`` is verified (:mod:`kro.payments`).
- **fund** (job ``escrow.payment_completed``): two holds out of escrow, in one batch —
  escrow → seller wallet (``amount − seller_fee``, shown to the seller as *pending*) and
  escrow → platform fees (``buyer_fee + seller_fee``).
- **release** (last condition fulfilled): both holds are posted in one batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.escrow import states
from kro.escrow.errors import (
    AmountBelowFee,
    ConditionNotFound,
    NotOrderParty,
    OrderNotFound,
    PaymentAlreadyReceived,
    SelfDealing,
    SellerNotFound,
)
from kro.escrow.fees import FeePolicy, quote
from kro.escrow.models import EscrowCondition, EscrowOrder, EscrowOrderEvent
from kro.identity import service as identity
from kro.identity.models import User
from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.errors import Conflict
from kro.ledger import chart
from kro.ledger.service import create_transfers
from kro.ledger.specs import PostPending, TransferSpec
from kro.payments import service as payments
from kro.payments.models import Payment
from kro.providers.paystack.client import PaystackClient

log = structlog.get_logger("kro.escrow")
PURPOSE = "escrow"


@dataclass(frozen=True)
class NewOrder:
    """An order as the buyer describes it; ``amount`` in minor units of ``currency``."""

    seller_email: str
    title: str
    description: str | None
    amount: int
    currency: str
    conditions: Sequence[str]


@dataclass
class OrderView:
    """An order with what the API shows of it."""

    order: EscrowOrder
    conditions: list[EscrowCondition]
    events: list[EscrowOrderEvent]
    payment: Payment | None


def _role(order: EscrowOrder, user: User) -> str | None:
    if user.id == order.buyer_id:
        return "buyer"
    if user.id == order.seller_id:
        return "seller"
    return None


async def create_order(
    session: AsyncSession, buyer: User, new: NewOrder, policy: FeePolicy, expires_in: timedelta
) -> EscrowOrder:
    """Create an order in ``created`` with its conditions, the fee fixed from ``policy``.

    Raises SellerNotFound (422) and SelfDealing (422).
    """
    seller = await identity.get_user_by_email(session, new.seller_email)
    if seller is None or not seller.is_active:
        raise SellerNotFound(details={"field": "seller_email"})
    if seller.id == buyer.id:
        raise SelfDealing(details={"field": "seller_email"})
    fee = quote(new.amount, policy)
    if fee.seller_receives <= 0:
        raise AmountBelowFee(details={"field": "amount", "fee": fee.fee})
    order = EscrowOrder(
        buyer_id=buyer.id,
        seller_id=seller.id,
        title=new.title,
        description=new.description,
        amount=new.amount,
        currency=new.currency,
        buyer_fee=fee.buyer_fee,
        seller_fee=fee.seller_fee,
        fee_payer=policy.payer,
        status=states.CREATED,
        expires_at=utcnow() + expires_in,
    )
    session.add(order)
    await session.flush()
    for position, description in enumerate(new.conditions, start=1):
        session.add(EscrowCondition(order_id=order.id, position=position, description=description))
    session.add(
        EscrowOrderEvent(
            order_id=order.id,
            action="create",
            from_state="new",
            to_state=states.CREATED,
            actor_id=buyer.id,
            actor_role="buyer",
        )
    )
    await session.flush()
    return order


async def _load(session: AsyncSession, user: User, order_id: str, *, lock: bool) -> EscrowOrder:
    order = await session.get(EscrowOrder, order_id, with_for_update=lock or None)
    if order is None or _role(order, user) is None:
        raise OrderNotFound()
    return order


async def view(session: AsyncSession, order: EscrowOrder) -> OrderView:
    """The order with its conditions, transitions and current payment."""
    conditions = (
        await session.execute(
            select(EscrowCondition)
            .where(EscrowCondition.order_id == order.id)
            .order_by(EscrowCondition.position)
        )
    ).scalars()
    events = (
        await session.execute(
            select(EscrowOrderEvent)
            .where(EscrowOrderEvent.order_id == order.id)
            .order_by(EscrowOrderEvent.id)
        )
    ).scalars()
    payment = await session.get(Payment, order.payment_id) if order.payment_id else None
    return OrderView(order, list(conditions), list(events), payment)


async def get_order(session: AsyncSession, user: User, order_id: str) -> OrderView:
    """An order the caller is party to; OrderNotFound (404) otherwise."""
    return await view(session, await _load(session, user, order_id, lock=False))


async def list_orders(
    session: AsyncSession, user: User, *, limit: int = 50, before: str | None = None
) -> list[EscrowOrder]:
    """Orders where the caller is buyer or seller, newest first; ``before`` is an order id
    cursor."""
    stmt = select(EscrowOrder).where(
        or_(EscrowOrder.buyer_id == user.id, EscrowOrder.seller_id == user.id)
    )
    if before:
        stmt = stmt.where(EscrowOrder.id < before)
    stmt = stmt.order_by(EscrowOrder.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


def _transition(
    session: AsyncSession,
    order: EscrowOrder,
    action: str,
    actor: User | None,
    reason: str | None = None,
) -> None:
    """Apply ``action`` through the state machine and record who, when, from, to, why."""
    step = states.ORDER.next(order.status, action)
    order.status = step.to_state
    session.add(
        EscrowOrderEvent(
            order_id=order.id,
            action=action,
            from_state=step.from_state,
            to_state=step.to_state,
            actor_id=actor.id if actor else None,
            actor_role=(_role(order, actor) or "admin") if actor else "system",
            reason=reason,
        )
    )


def _require_party(order: EscrowOrder, user: User, action: str) -> None:
    wanted = states.ACTORS[action]
    if _role(order, user) != wanted:
        raise NotOrderParty(f"Only the {wanted} can {action} this order.")


async def act(session: AsyncSession, user: User, order_id: str, action: str) -> EscrowOrder:
    """``accept``/``decline``/``start``/``complete`` (seller) or ``cancel`` (buyer).

    Raises OrderNotFound (404), NotOrderParty (403), InvalidTransition (409).
    """
    order = await _load(session, user, order_id, lock=True)
    _require_party(order, user, action)
    if action == "cancel" and await payments.completed_payment_for(session, PURPOSE, order.id):
        raise PaymentAlreadyReceived("The buyer's payment has arrived; the order will be funded.")
    _transition(session, order, action, user)
    await session.flush()
    return order


async def start_payment(
    session: AsyncSession,
    client: PaystackClient,
    user: User,
    order_id: str,
    callback_url: str | None,
) -> Payment:
    """Open (or reuse) the Paystack checkout for ``amount + buyer_fee``. Buyer only, order
    ``accepted``. Raises OrderNotFound, NotOrderParty, InvalidTransition, ProviderError (502).
    """
    order = await _load(session, user, order_id, lock=True)
    _require_party(order, user, "pay")
    if order.status not in states.PAYABLE:
        states.ORDER.next(order.status, "fund")  # raises the 409 with the allowed actions
    if order.payment_id:
        current = await session.get(Payment, order.payment_id)
        if current is not None and current.status == "pending":
            return current
        if current is not None and current.status in ("completed", "needs_review"):
            raise PaymentAlreadyReceived()
    escrow = await chart.ensure_escrow(session, order.id, order.currency)
    payment = await payments.open_checkout(
        session,
        client,
        payments.CheckoutRequest(
            purpose=PURPOSE,
            purpose_id=order.id,
            payer_id=user.id,
            email=user.email,
            amount=order.buyer_pays,
            currency=order.currency,
            credit_account_id=escrow.id,
            callback_url=callback_url,
            metadata={"order_id": order.id},
        ),
    )
    order.payment_id = payment.id
    await session.flush()
    return payment


async def fund(session: AsyncSession, payment_id: str, order_id: str) -> bool:
    """The order's payment is in escrow: place the holds and mark it funded (job
    ``escrow.payment_completed``; idempotent). Returns False when nothing was done."""
    order = await session.get(EscrowOrder, order_id, with_for_update=True)
    payment = await session.get(Payment, payment_id)
    if order is None or payment is None or payment.status != "completed":
        return False
    if payment.purpose != PURPOSE or payment.purpose_id != order.id:
        return False
    if order.status != states.ACCEPTED:
        if order.status in (states.CANCELLED, states.EXPIRED, states.DECLINED):
            # Paid through a checkout left open when the order ended: give the money back.
            await enqueue(
                session,
                "escrow.refund_payment",
                {"payment_id": payment.id, "order_id": order.id},
                dedupe_key=f"escrow_refund:{payment.id}",
            )
        return False
    escrow = await chart.ensure_escrow(session, order.id, order.currency)
    wallet = await chart.ensure_wallet(session, order.seller_id, order.currency)
    holds = [
        TransferSpec(
            id=f"trf_{order.id}_seller",
            debit_account_id=escrow.id,
            credit_account_id=wallet.id,
            amount=order.amount - order.seller_fee,
            currency=order.currency,
            code="escrow.hold_seller",
            reference=order.id,
            pending=True,
        )
    ]
    fee = order.buyer_fee + order.seller_fee
    if fee > 0:
        platform = await chart.ensure_platform_fees(session, order.currency)
        holds.append(
            TransferSpec(
                id=f"trf_{order.id}_fee",
                debit_account_id=escrow.id,
                credit_account_id=platform.id,
                amount=fee,
                currency=order.currency,
                code="escrow.hold_fee",
                reference=order.id,
                pending=True,
            )
        )
    await create_transfers(session, holds)
    order.held_amount = payment.amount
    order.funded_at = utcnow()
    _transition(session, order, "fund", None, reason=f"payment {payment.id} verified")
    await session.flush()
    return True


async def fulfil_condition(
    session: AsyncSession, user: User, order_id: str, condition_id: str
) -> EscrowOrder:
    """Mark a condition fulfilled (buyer, order ``completed``). The last one closes the order
    and releases the money: both holds posted in one batch. Fulfilling twice is a no-op.

    Raises OrderNotFound, ConditionNotFound (404), NotOrderParty (403), Conflict (409).
    """
    order = await _load(session, user, order_id, lock=True)
    _require_party(order, user, "fulfil")
    condition = await session.get(EscrowCondition, condition_id)
    if condition is None or condition.order_id != order.id:
        raise ConditionNotFound()
    if condition.fulfilled_at is not None:
        return order
    if order.status not in states.FULFILLABLE:
        raise Conflict(
            "Conditions can be fulfilled only after the seller marks the order completed.",
            code="order_not_completed",
            details={"state": order.status},
        )
    condition.fulfilled_at, condition.fulfilled_by = utcnow(), user.id
    await session.flush()
    remaining = await session.execute(
        select(EscrowCondition.id).where(
            EscrowCondition.order_id == order.id, EscrowCondition.fulfilled_at.is_(None)
        )
    )
    if remaining.first() is None:
        await _release(session, order, user)
    return order


async def _release(session: AsyncSession, order: EscrowOrder, user: User) -> None:
    posts = [PostPending(id=f"trf_{order.id}_seller_post", pending_id=f"trf_{order.id}_seller")]
    if order.buyer_fee + order.seller_fee > 0:
        posts.append(PostPending(id=f"trf_{order.id}_fee_post", pending_id=f"trf_{order.id}_fee"))
    await create_transfers(session, posts)
    order.released_amount = order.amount - order.seller_fee
    order.held_amount = 0
    order.closed_at = utcnow()
    _transition(session, order, "close", None, reason=f"all conditions fulfilled by {user.id}")
    await session.flush()


async def expire_orders(session: AsyncSession, now: datetime, limit: int = 500) -> int:
    """Expire unfunded orders past ``expires_at`` (periodic job). Returns how many."""
    stmt = (
        select(EscrowOrder)
        .where(
            EscrowOrder.status.in_([states.CREATED, states.ACCEPTED]),
            EscrowOrder.expires_at <= now,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    expired = 0
    for order in (await session.execute(stmt)).scalars():
        if await payments.completed_payment_for(session, PURPOSE, order.id):
            continue  # paid; funding is on its way
        _transition(session, order, "expire", None, reason="not funded in time")
        expired += 1
    await session.flush()
    return expired


async def refund_late_payment(
    session: AsyncSession, client: PaystackClient, payment_id: str, order_id: str
) -> None:
    """Refund a payment that completed after its order was cancelled, declined or expired
    (job ``escrow.refund_payment``)."""
    order = await session.get(EscrowOrder, order_id, with_for_update=True)
    payment = await session.get(Payment, payment_id, with_for_update=True)
    if order is None or payment is None or order.status == states.ACCEPTED:
        return
    await payments.refund_payment(session, client, payment, f"order {order.id} is {order.status}")
