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
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.escrow import catalog, notices, settlement, states
from kro.escrow.errors import (
    AmountBelowFee,
    ConditionNotFound,
    CurrencyNotSupported,
    NotOrderParty,
    OrderNotCompleted,
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
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.payments import states as pay_states
from kro.payments.collect import service as payments
from kro.payments.collect.service import CollectRequest, collect
from kro.payments.models import Payment, Refund
from kro.payments.refunds import service as refunds
from kro.settings import Settings

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
    inspection_days: int = 3


@dataclass(frozen=True)
class ConditionSpec:
    """A condition as the buyer gives it: their own words, or an admin template's id."""

    description: str | None = None
    template_id: str | None = None


# Currencies an escrow order may be in (the escrow accounts and payouts are NGN today).
ORDER_CURRENCIES = frozenset({"NGN"})


@dataclass
class OrderView:
    """An order with what the API shows of it."""

    order: EscrowOrder
    conditions: list[EscrowCondition]
    events: list[EscrowOrderEvent]
    payment: Payment | None
    refunds: list[Refund]


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
        inspection_days=new.inspection_days,
    )
    session.add(order)
    await session.flush()
    for position, description in enumerate(new.conditions, start=1):
        session.add(EscrowCondition(order_id=order.id, position=position, description=description))
    created = EscrowOrderEvent(
        id=new_id("oev"),
        order_id=order.id,
        action="create",
        from_state="new",
        to_state=states.CREATED,
        actor_id=buyer.id,
        actor_role="buyer",
    )
    session.add(created)
    await session.flush()
    await notices.order_changed(session, order, "create", created.id, None)
    return order


def default_fee_policy(settings: Settings) -> FeePolicy:
    """The fee of ``KRO_ESCROW_FEE_*``, used until an admin sets one (:mod:`.catalog`)."""
    return FeePolicy(
        settings.escrow_fee_percent_bps,
        settings.escrow_fee_flat,
        settings.escrow_fee_cap,
        settings.escrow_fee_payer,
    )


async def place_order(
    session: AsyncSession,
    settings: Settings,
    buyer: User,
    new: NewOrder,
    conditions: Sequence[ConditionSpec],
) -> EscrowOrder:
    """The buyer's order as the API and the pages take it: the currency checked, the fee
    policy in force now, template conditions resolved to their text; then
    :func:`create_order`. ``new.conditions`` is ignored (``conditions`` replaces it).

    Raises CurrencyNotSupported (422, ``details.field="currency"``), TemplateNotFound
    (404), and what :func:`create_order` raises.
    """
    if new.currency not in ORDER_CURRENCIES:
        raise CurrencyNotSupported(details={"field": "currency"})
    policy = await catalog.current_fee_policy(session, default_fee_policy(settings))
    texts = [
        c.description or await catalog.template_text(session, c.template_id or "")
        for c in conditions
    ]
    expiry = timedelta(seconds=settings.escrow_order_expiry)
    return await create_order(session, buyer, replace(new, conditions=texts), policy, expiry)


async def load_for(session: AsyncSession, user: User, order_id: str, *, lock: bool) -> EscrowOrder:
    """An order the caller is party to (locked with ``lock``, and then re-read);
    OrderNotFound (404)."""
    order = await session.get(
        EscrowOrder, order_id, with_for_update=lock or None, populate_existing=lock
    )
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
    payment = await payments.get_payment(session, order.payment_id) if order.payment_id else None
    given_back = await refunds.refunds_for(session, payment.id) if payment else []
    return OrderView(order, list(conditions), list(events), payment, given_back)


async def get_order(session: AsyncSession, user: User, order_id: str) -> OrderView:
    """An order the caller is party to; OrderNotFound (404) otherwise."""
    return await view(session, await load_for(session, user, order_id, lock=False))


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


async def transition(
    session: AsyncSession,
    order: EscrowOrder,
    action: str,
    actor: User | None,
    reason: str | None = None,
) -> None:
    """Apply ``action`` through the state machine and record who, when, from, to, why; tell
    both parties through the outbox (realtime ``order.updated``)."""
    step = states.ORDER.next(order.status, action)
    order.status = step.to_state
    event = EscrowOrderEvent(
        id=new_id("oev"),
        order_id=order.id,
        action=action,
        from_state=step.from_state,
        to_state=step.to_state,
        actor_id=actor.id if actor else None,
        actor_role=(_role(order, actor) or "admin") if actor else "system",
        reason=reason,
    )
    session.add(event)
    await notices.order_changed(session, order, action, event.id, reason)


def _require_party(order: EscrowOrder, user: User, action: str) -> None:
    wanted = states.ACTORS[action]
    if _role(order, user) != wanted:
        raise NotOrderParty(f"Only the {wanted} can {action} this order.")


async def act(
    session: AsyncSession,
    user: User,
    order_id: str,
    action: str,
    *,
    expires_in: timedelta | None = None,
) -> EscrowOrder:
    """``accept``/``decline``/``start``/``complete`` (seller) or ``cancel`` (buyer).

    - ``accept`` restarts the expiry clock: an accepted order must be funded within
      ``expires_in``.
    - ``complete`` starts the inspection period (``inspection_days``); when it ends without
      fulfilment or a reported issue, the money is released (Escrow.com's rule).
    - ``cancel`` of a funded order the seller has not started refunds the buyer in full.

    Raises OrderNotFound (404), NotOrderParty (403), InvalidTransition (409).
    """
    order = await load_for(session, user, order_id, lock=True)
    _require_party(order, user, action)
    if action == "cancel" and order.status == states.FUNDED:
        payment = await order_payment(session, order)
        settlement_reason = f"cancelled by the buyer {user.id} before the work started"
        await transition(session, order, action, user)
        await settlement.refund(session, order, payment, settlement_reason)
        await session.flush()
        return order
    states.ORDER.next(order.status, action)  # a move the table refuses is a 409 first
    if action == "cancel" and await payments.completed_payment_for(session, PURPOSE, order.id):
        raise PaymentAlreadyReceived("The buyer's payment has arrived; the order will be funded.")
    await transition(session, order, action, user)
    if action == "accept" and expires_in is not None:
        order.expires_at = utcnow() + expires_in
    if action == "complete":
        order.inspection_ends_at = utcnow() + timedelta(days=order.inspection_days)
    await session.flush()
    return order


async def order_payment(session: AsyncSession, order: EscrowOrder) -> Payment:
    """The payment that funded ``order``."""
    if order.payment_id is None:  # a funded order always has its payment
        raise OrderNotFound(details={"reason": "payment missing"})
    return await payments.get_payment(session, order.payment_id)


async def start_payment(
    session: AsyncSession,
    settings: Settings,
    user: User,
    order_id: str,
    callback_url: str | None,
    method: str = "card",
    *,
    provider: str | None = None,
) -> Payment:
    """Pay for an ``accepted`` order (buyer only): ``amount + buyer_fee``.

    - ``card``: a hosted checkout through :func:`kro.payments.collect.collect` (``provider``
      the buyer chose, else the platform's routing with failover); calling again returns the
      same checkout while it is open. The order is funded once the provider confirms the
      charge (job ``escrow.payment_completed``).
    - ``wallet``: from the buyer's KRO balance, funded at once; 409 ``insufficient_funds``
      when the balance does not cover it.
    - ``bank_transfer``: a Providus dynamic account to transfer to; funded when Providus's
      settlement is verified (over-payment to the buyer's wallet; under-payment leaves the
      order unfunded and the money in the buyer's wallet).

    The order is read without a lock, the provider is asked, and only then is the order
    locked and re-checked (no row lock is held across a provider call).

    Raises OrderNotFound, NotOrderParty, InvalidTransition, PaymentAlreadyReceived (409),
    NoProviderAvailable (422), PaymentRejected (402), ProvidersUnavailable (503), ProviderError
    (502-504).
    """
    order = await _payable_order(session, user, order_id)
    channel = "bank_transfer" if method == "bank_transfer" else "card"
    if order.payment_id:
        current = await payments.get_payment(session, order.payment_id)
        reusable = (
            current.status in pay_states.OPEN
            and current.channel == channel
            and provider in (None, current.provider)
        )
        expires = current.virtual_account_expires_at
        if reusable and (expires is None or expires > utcnow()):
            return current
        if current.status in pay_states.RECEIVED:
            raise PaymentAlreadyReceived()
    escrow = await chart.ensure_escrow(session, order.id, order.currency)
    request = CollectRequest(
        purpose=PURPOSE,
        purpose_id=order.id,
        payer_id=user.id,
        email=user.email,
        name=user.full_name,
        amount=order.buyer_pays,
        currency=order.currency,
        credit_account_id=escrow.id,
        provider=provider,
        method=channel,
        callback_url=callback_url,
        description=f"KRO Escrow {order.title}"[:60],  # the account's name at name enquiry
        metadata={"order_id": order.id},
    )
    if method == "wallet":
        order = await _payable_order(session, user, order_id, lock=True)
        wallet = await chart.ensure_wallet(session, user.id, order.currency)
        payment = await payments.pay_from_wallet(session, request, wallet.id)
        order.payment_id = payment.id
        await settlement.place_holds(session, order, payment)
        await transition(session, order, "fund", user, reason=f"paid from wallet ({payment.id})")
        await session.flush()
        return payment
    payment = await collect(session, settings, request)
    order = await _payable_order(session, user, order_id, lock=True)
    order.payment_id = payment.id
    await session.flush()
    return payment


async def _payable_order(
    session: AsyncSession, user: User, order_id: str, *, lock: bool = False
) -> EscrowOrder:
    """The caller's order if the buyer may pay it now; else OrderNotFound, NotOrderParty,
    InvalidTransition (409, with the allowed actions)."""
    order = await load_for(session, user, order_id, lock=lock)
    _require_party(order, user, "pay")
    if order.status not in states.PAYABLE:
        states.ORDER.next(order.status, "fund")  # raises the 409 with the allowed actions
    return order


async def fund(session: AsyncSession, payment_id: str, order_id: str) -> bool:
    """The order's payment is in escrow: place the holds and mark it funded (job
    ``escrow.payment_completed``; idempotent). Returns False when nothing was done."""
    order = await session.get(EscrowOrder, order_id, with_for_update=True)
    payment = await payments.find_payment(session, payment_id)
    if order is None or payment is None or payment.status != pay_states.COMPLETED:
        return False
    if payment.purpose != PURPOSE or payment.purpose_id != order.id:
        return False
    if order.status != states.ACCEPTED:
        if _late(order, payment.id):
            # Paid through a checkout left open when the order ended (or a second checkout
            # of an order another payment funded): give the money back.
            await enqueue(
                session,
                "escrow.refund_payment",
                {"payment_id": payment.id, "order_id": order.id},
                dedupe_key=f"escrow_refund:{payment.id}",
            )
        return False
    order.payment_id = payment.id  # the checkout the buyer paid, if they opened several
    await settlement.place_holds(session, order, payment)
    await transition(session, order, "fund", None, reason=f"payment {payment.id} verified")
    await session.flush()
    return True


async def fulfil_condition(
    session: AsyncSession, user: User, order_id: str, condition_id: str
) -> EscrowOrder:
    """Mark a condition fulfilled (buyer, order ``completed``). The last one closes the order
    and releases the money: both holds posted in one batch. Fulfilling twice is a no-op.

    Raises OrderNotFound, ConditionNotFound (404), NotOrderParty (403), OrderNotCompleted
    (409).
    """
    order = await load_for(session, user, order_id, lock=True)
    _require_party(order, user, "fulfil")
    condition = await session.get(EscrowCondition, condition_id)
    if condition is None or condition.order_id != order.id:
        raise ConditionNotFound()
    if condition.fulfilled_at is not None:
        return order
    if order.status not in states.FULFILLABLE:
        raise OrderNotCompleted(details={"state": order.status})
    condition.fulfilled_at, condition.fulfilled_by = utcnow(), user.id
    await session.flush()
    await notices.condition_fulfilled(session, order, condition.id, condition.description)
    remaining = await session.execute(
        select(EscrowCondition.id).where(
            EscrowCondition.order_id == order.id, EscrowCondition.fulfilled_at.is_(None)
        )
    )
    if remaining.first() is None:
        await _release(session, order, user)
    return order


async def _release(session: AsyncSession, order: EscrowOrder, user: User) -> None:
    await settlement.release(session, order)
    await transition(session, order, "close", None, reason=f"all conditions fulfilled by {user.id}")
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
        await transition(session, order, "expire", None, reason="not funded in time")
        expired += 1
    await session.flush()
    return expired


def _late(order: EscrowOrder, payment_id: str) -> bool:
    """Whether a completed payment for ``order`` is not the one that funds it: the order
    ended unfunded, or another payment funded it."""
    if order.status in (states.CANCELLED, states.EXPIRED, states.DECLINED):
        return True
    return order.status != states.ACCEPTED and order.payment_id != payment_id


async def refund_late_payment(session: AsyncSession, payment_id: str, order_id: str) -> None:
    """Refund a payment that completed after its order was cancelled, declined or expired
    (job ``escrow.refund_payment``)."""
    order = await session.get(EscrowOrder, order_id, with_for_update=True)
    payment = await payments.find_payment(session, payment_id, lock=True)
    if order is None or payment is None or payment.status != pay_states.COMPLETED:
        return
    if not _late(order, payment.id):
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


async def auto_release(session: AsyncSession, now: datetime, limit: int = 200) -> int:
    """Release completed orders whose inspection period ended with neither every condition
    fulfilled nor an issue reported: the conditions are deemed fulfilled (Escrow.com: "if you
    do not accept or reject the items before the end of the inspection period ... Escrow.com
    will automatically assume that you accept them"). Periodic; safe with several workers
    (rows locked with SKIP LOCKED on PostgreSQL). Returns how many were released."""
    stmt = (
        select(EscrowOrder)
        .where(EscrowOrder.status == states.COMPLETED, EscrowOrder.inspection_ends_at <= now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    released = 0
    for order in (await session.execute(stmt)).scalars():
        conditions = await session.execute(
            select(EscrowCondition).where(
                EscrowCondition.order_id == order.id, EscrowCondition.fulfilled_at.is_(None)
            )
        )
        for condition in conditions.scalars():
            condition.fulfilled_at = now
        await settlement.release(session, order)
        await transition(session, order, "auto_release", None, reason="inspection period ended")
        released += 1
    await session.flush()
    return released


async def due_inspection_reminders(
    session: AsyncSession, now: datetime, limit: int = 200
) -> list[EscrowOrder]:
    """Completed orders whose inspection period ends within a day and whose parties were not
    yet reminded; marks them reminded (the caller sends the reminders)."""
    stmt = (
        select(EscrowOrder)
        .where(
            EscrowOrder.status == states.COMPLETED,
            EscrowOrder.inspection_ends_at <= now + timedelta(days=1),
            EscrowOrder.inspection_ends_at > now,
            EscrowOrder.reminded_at.is_(None),
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    orders = list((await session.execute(stmt)).scalars())
    for order in orders:
        order.reminded_at = now
    await session.flush()
    return orders
