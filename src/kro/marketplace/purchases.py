"""Money a buyer adds to an order after paying for it, each through its own checkout at the
payments core (``kro.payments.collect``), like the order's own:

- **extras bought mid-order** (purpose ``marketplace_extra``): on an order paid and not yet
  completed; once verified, held in the extra's own escrow account and following the order
  (:mod:`kro.marketplace.money`), its days and revisions added to the order;
- **tips** (purpose ``marketplace_tip``) on a completed order: all to the seller less
  ``marketplace_tip_commission_bps`` (default 0: nothing), into the seller's pending
  clearance, clearing like an order's earnings (Fiverr: tips are the seller's).

The buyer's checkout is opened before anything is written (no row lock is held while the
provider is asked); the purchase row is written with the payment. A payment that arrives
when the order can no longer take it (completed, cancelled, disputed, refunded) is given
back in full. The outcome jobs are idempotent.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.models import User
from kro.kit.clock import utcnow
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.marketplace import extras, money, sellers, states, terms
from kro.marketplace.errors import PurchaseNotAllowed
from kro.marketplace.models import Order, OrderExtra, Service, Tip
from kro.marketplace.orders import (
    _require,
    commission,
    commission_bps,
    load_for,
    service_fee,
    transition,
)
from kro.payments import states as pay_states
from kro.payments.collect import service as payments
from kro.payments.collect.service import CollectRequest, collect
from kro.payments.models import Payment
from kro.settings import Settings

EXTRA = "marketplace_extra"
TIP = "marketplace_tip"


async def _checkout(
    session: AsyncSession,
    settings: Settings,
    buyer: User,
    order: Order,
    purpose: tuple[str, str],
    amount: int,
    callback_url: str | None,
) -> Payment:
    """A hosted checkout for ``amount`` crediting the purchase's own escrow account."""
    kind, purchase_id = purpose
    escrow = await chart.ensure_escrow(session, purchase_id, order.currency)
    request = CollectRequest(
        purpose=kind,
        purpose_id=purchase_id,
        payer_id=buyer.id,
        email=buyer.email,
        name=buyer.full_name,
        amount=amount,
        currency=order.currency,
        credit_account_id=escrow.id,
        callback_url=callback_url,
        description=f"KRO Marketplace {order.title}"[:60],
        metadata={"order_id": order.id},
    )
    return await collect(session, settings, request)


async def buy_extra(
    session: AsyncSession,
    settings: Settings,
    buyer: User,
    order_id: str,
    extra_id: str,
    callback_url: str | None,
) -> tuple[OrderExtra, Payment]:
    """The buyer buys one of the service's extras on an order paid and not completed: its
    price + service fee at its own checkout, the commission at the order's category rate.
    Raises OrderNotFound, ExtraNotFound (404), NotOrderParty (403), PurchaseNotAllowed
    (409), and the payments core's errors."""
    order = await load_for(session, buyer, order_id, lock=False)
    _require(order, buyer, "cancel")  # the buyer pays
    settings = await terms.effective(session, settings)
    if order.status not in states.HELD:
        raise PurchaseNotAllowed(details={"status": order.status})
    extra = await extras.find(session, order.service_id, extra_id)
    service = await session.get(Service, order.service_id)
    assert service is not None
    bps = await commission_bps(session, settings, service)
    row = OrderExtra(
        id=new_id("oxt"),
        order_id=order.id,
        extra_id=extra.id,
        title=extra.title,
        price=extra.price,
        service_fee=service_fee(extra.price, settings),
        commission=commission(extra.price, bps),
        extra_days=extra.extra_days,
        extra_revisions=extra.extra_revisions,
        status="pending",
    )
    payment = await _checkout(
        session, settings, buyer, order, (EXTRA, row.id), row.buyer_pays, callback_url
    )
    row.payment_id = payment.id
    session.add(row)
    await session.flush()
    return row, payment


async def _verified(
    session: AsyncSession, payment_id: str, purpose: str, purchase_id: str
) -> Payment | None:
    payment = await payments.find_payment(session, payment_id)
    if payment is None or payment.status != pay_states.COMPLETED:
        return None
    if payment.purpose != purpose or payment.purpose_id != purchase_id:
        return None
    return payment


async def extra_paid(session: AsyncSession, payment_id: str, extra_id: str) -> bool:
    """An extra's payment is verified (job ``marketplace_extra.payment_completed``;
    idempotent): held like the order's money, its days and revisions added to the order —
    or, if the order no longer takes it, refunded in full. Returns whether it was added.
    Locks the order, then the extra (the order of locks of cancellation and completion)."""
    found = await session.get(OrderExtra, extra_id)
    if found is None:
        return False
    order = await _lock_order(session, found.order_id)
    row = await session.get(OrderExtra, extra_id, with_for_update=True, populate_existing=True)
    payment = await _verified(session, payment_id, EXTRA, extra_id)
    if row is None or payment is None or row.status != "pending":
        return False
    now = row.paid_at = utcnow()
    if order.status not in states.HELD:
        await money.refund_extra(session, order, row, f"order {order.id} is {order.status}")
        return False
    await money.place_extra_holds(session, order, row)
    row.status = "held"
    extras.apply(order, row.extra_days, row.extra_revisions)
    if order.late and order.due_at is not None and order.due_at > now:
        order.late = False  # more days bought: no longer late (the timer flags it again)
    await transition(session, order, "add_extra", None, reason=row.title[:500])
    return True


async def _lock_order(session: AsyncSession, order_id: str) -> Order:
    order = await session.get(Order, order_id, with_for_update=True, populate_existing=True)
    assert order is not None  # purchases refer to their order by foreign key
    return order


async def tip(
    session: AsyncSession,
    settings: Settings,
    buyer: User,
    order_id: str,
    amount: int,
    callback_url: str | None,
) -> tuple[Tip, Payment]:
    """The buyer tips the seller of a completed order ``amount`` minor units at its own
    checkout. Raises OrderNotFound (404), NotOrderParty (403), PurchaseNotAllowed (409),
    and the payments core's errors."""
    order = await load_for(session, buyer, order_id, lock=False)
    _require(order, buyer, "cancel")
    settings = await terms.effective(session, settings)
    if order.status != states.COMPLETED:
        raise PurchaseNotAllowed(details={"status": order.status})
    row = Tip(
        id=new_id("tip"),
        order_id=order.id,
        buyer_id=buyer.id,
        seller_id=order.seller_id,
        amount=amount,
        commission=commission(amount, settings.marketplace_tip_commission_bps),
        currency=order.currency,
        status="pending",
    )
    payment = await _checkout(session, settings, buyer, order, (TIP, row.id), amount, callback_url)
    row.payment_id = payment.id
    session.add(row)
    await session.flush()
    return row, payment


async def tip_paid(session: AsyncSession, settings: Settings, payment_id: str, tip_id: str) -> bool:
    """A tip's payment is verified (job ``marketplace_tip.payment_completed``; idempotent):
    into the seller's pending clearance, clearing as the seller's order earnings do
    (:func:`kro.marketplace.sellers.clearance_seconds`) — or, if the order was refunded
    meanwhile, given back. Returns whether it was credited. Locks the order, then the tip."""
    found = await session.get(Tip, tip_id)
    if found is None:
        return False
    order = await _lock_order(session, found.order_id)
    row = await session.get(Tip, tip_id, with_for_update=True, populate_existing=True)
    payment = await _verified(session, payment_id, TIP, tip_id)
    if row is None or payment is None or row.status != "pending":
        return False
    if order.status != states.COMPLETED:
        await money.refund_payment_from(
            session, payment, row.id, row.currency, f"order {order.id} is {order.status}"
        )
        row.status = "refunded"
        return False
    await money.credit_tip(session, row)
    clearance = await sellers.clearance_seconds(session, settings, row.seller_id)
    row.status, row.clears_at = "clearing", utcnow() + timedelta(seconds=clearance)
    await transition(session, order, "tip", None, reason=f"tip {row.id}")
    return True
