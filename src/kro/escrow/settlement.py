"""Escrow money: the holds placed at funding and the three ways they end.

At funding (DESIGN.md section 4: escrow is a pending transfer), in one batch::

    hold  escrow → seller wallet     amount − seller_fee     trf_{order}_seller
    hold  escrow → platform fees     buyer_fee + seller_fee  trf_{order}_fee

- **release**: both holds posted.
- **refund**: both voided; everything the buyer paid goes back (payments.refunds).
- **split** ``seller_amount``: the seller hold posted for ``seller_amount`` (the rest of it
  returns to escrow), the fee hold posted, and what is left in escrow refunded to the buyer.

Transfer ids are derived from the order, so every step is idempotent under retry.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kro.escrow.errors import InvalidSplit
from kro.escrow.models import EscrowOrder
from kro.kit.clock import utcnow
from kro.ledger import chart
from kro.ledger import holds as ledger_holds
from kro.payments.models import Payment
from kro.payments.refunds import service as refunds


def fee_total(order: EscrowOrder) -> int:
    return order.buyer_fee + order.seller_fee


def holds_of(order: EscrowOrder, seller_wallet_id: str) -> ledger_holds.EscrowHolds:
    return ledger_holds.EscrowHolds(
        order_id=order.id,
        currency=order.currency,
        seller_account_id=seller_wallet_id,
        seller_amount=order.amount - order.seller_fee,
        fee_amount=fee_total(order),
        code="escrow",
    )


async def _holds(session: AsyncSession, order: EscrowOrder) -> ledger_holds.EscrowHolds:
    wallet = await chart.ensure_wallet(session, order.seller_id, order.currency)
    return holds_of(order, wallet.id)


async def place_holds(session: AsyncSession, order: EscrowOrder, payment: Payment) -> None:
    """Hold the seller's share and the platform fee out of the order's escrow account."""
    await ledger_holds.place(session, await _holds(session, order))
    order.held_amount = payment.amount
    order.funded_at = utcnow()


async def release(session: AsyncSession, order: EscrowOrder) -> None:
    """Post both holds: the seller's wallet gets ``amount − seller_fee``."""
    await ledger_holds.post(session, await _holds(session, order))
    order.released_amount = order.amount - order.seller_fee
    order.held_amount = 0
    order.closed_at = utcnow()


async def refund(session: AsyncSession, order: EscrowOrder, payment: Payment, reason: str) -> None:
    """Void both holds and give the buyer back everything they paid."""
    await ledger_holds.void(session, await _holds(session, order))
    escrow = await chart.ensure_escrow(session, order.id, order.currency)
    await refunds.request_refund(
        session,
        payment,
        order.held_amount,
        reason,
        from_account_id=escrow.id,
        refund_id=f"rfd_{order.id}",
    )
    order.refunded_amount = order.held_amount
    order.held_amount = 0
    order.closed_at = utcnow()


async def split(
    session: AsyncSession, order: EscrowOrder, payment: Payment, seller_amount: int, reason: str
) -> None:
    """Pay the seller ``seller_amount`` minor units (at most ``amount − seller_fee``), keep the
    platform fee, refund the rest of what the buyer paid. Raises InvalidSplit (422)."""
    seller_max = order.amount - order.seller_fee
    if not 0 < seller_amount < seller_max:
        raise InvalidSplit(
            f"seller_amount must be between 1 and {seller_max - 1} minor units.",
            details={"field": "seller_amount", "max": seller_max - 1},
        )
    await ledger_holds.post(session, await _holds(session, order), seller_amount=seller_amount)
    to_buyer = order.held_amount - seller_amount - fee_total(order)
    escrow = await chart.ensure_escrow(session, order.id, order.currency)
    await refunds.request_refund(
        session, payment, to_buyer, reason, from_account_id=escrow.id, refund_id=f"rfd_{order.id}"
    )
    order.released_amount = seller_amount
    order.refunded_amount = to_buyer
    order.held_amount = 0
    order.closed_at = utcnow()
