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
from kro.ledger.service import create_transfers
from kro.ledger.specs import PostPending, TransferRequest, TransferSpec, VoidPending
from kro.payments.models import Payment
from kro.payments.refunds import service as refunds


def _seller_hold(order: EscrowOrder) -> str:
    return f"trf_{order.id}_seller"


def _fee_hold(order: EscrowOrder) -> str:
    return f"trf_{order.id}_fee"


def fee_total(order: EscrowOrder) -> int:
    return order.buyer_fee + order.seller_fee


async def place_holds(session: AsyncSession, order: EscrowOrder, payment: Payment) -> None:
    """Hold the seller's share and the platform fee out of the order's escrow account."""
    escrow = await chart.ensure_escrow(session, order.id, order.currency)
    wallet = await chart.ensure_wallet(session, order.seller_id, order.currency)
    holds = [
        TransferSpec(
            id=_seller_hold(order),
            debit_account_id=escrow.id,
            credit_account_id=wallet.id,
            amount=order.amount - order.seller_fee,
            currency=order.currency,
            code="escrow.hold_seller",
            reference=order.id,
            pending=True,
        )
    ]
    if fee_total(order) > 0:
        platform = await chart.ensure_platform_fees(session, order.currency)
        holds.append(
            TransferSpec(
                id=_fee_hold(order),
                debit_account_id=escrow.id,
                credit_account_id=platform.id,
                amount=fee_total(order),
                currency=order.currency,
                code="escrow.hold_fee",
                reference=order.id,
                pending=True,
            )
        )
    await create_transfers(session, holds)
    order.held_amount = payment.amount
    order.funded_at = utcnow()


async def release(session: AsyncSession, order: EscrowOrder) -> None:
    """Post both holds: the seller's wallet gets ``amount − seller_fee``."""
    posts: list[TransferRequest] = [
        PostPending(id=f"{_seller_hold(order)}_post", pending_id=_seller_hold(order))
    ]
    if fee_total(order) > 0:
        posts.append(PostPending(id=f"{_fee_hold(order)}_post", pending_id=_fee_hold(order)))
    await create_transfers(session, posts)
    order.released_amount = order.amount - order.seller_fee
    order.held_amount = 0
    order.closed_at = utcnow()


async def refund(session: AsyncSession, order: EscrowOrder, payment: Payment, reason: str) -> None:
    """Void both holds and give the buyer back everything they paid."""
    voids: list[TransferRequest] = [
        VoidPending(id=f"{_seller_hold(order)}_void", pending_id=_seller_hold(order))
    ]
    if fee_total(order) > 0:
        voids.append(VoidPending(id=f"{_fee_hold(order)}_void", pending_id=_fee_hold(order)))
    await create_transfers(session, voids)
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
    batch: list[TransferRequest] = [
        PostPending(
            id=f"{_seller_hold(order)}_post", pending_id=_seller_hold(order), amount=seller_amount
        )
    ]
    if fee_total(order) > 0:
        batch.append(PostPending(id=f"{_fee_hold(order)}_post", pending_id=_fee_hold(order)))
    await create_transfers(session, batch)
    to_buyer = order.held_amount - seller_amount - fee_total(order)
    escrow = await chart.ensure_escrow(session, order.id, order.currency)
    await refunds.request_refund(
        session, payment, to_buyer, reason, from_account_id=escrow.id, refund_id=f"rfd_{order.id}"
    )
    order.released_amount = seller_amount
    order.refunded_amount = to_buyer
    order.held_amount = 0
    order.closed_at = utcnow()
