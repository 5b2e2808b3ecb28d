"""Marketplace money in the ledger (DESIGN.md section 4).

The buyer's payment (price + service fee) credits the order's escrow account
(``kro.payments.collect``). Then, with transfer ids derived from the order so every step is
idempotent under retry::

    paid       hold  escrow → seller's clearance   price − commission      trf_{order}_seller
               hold  escrow → platform fees        commission + fee        trf_{order}_fee
    completed  both holds posted; an Earning row starts its clearance clock
    cleared    clearance → seller's wallet          price − commission      trf_{order}_clear
    cancelled  both holds voided; the buyer refunded in full from escrow (payments.refunds)
    refunded   (after completion, within clearance) clearance → escrow and platform fees →
               escrow, then the buyer refunded in full: the pending earnings are clawed back

The clearance account is the seller's **pending clearance** (a liability that cannot go
below zero); only the wallet is withdrawable through ``kro.payouts``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.ledger import chart
from kro.ledger import holds as ledger_holds
from kro.ledger.chart import AccountDef
from kro.ledger.models import LedgerAccount
from kro.ledger.service import create_transfers, get_balance
from kro.ledger.specs import TransferSpec
from kro.marketplace.models import Order
from kro.payments.models import Payment
from kro.payments.refunds import service as refunds


def clearance_account(seller_id: str, currency: str) -> AccountDef:
    """Liability: a seller's completed-order earnings not yet cleared. Never negative."""
    return AccountDef(
        f"marketplace:clearance:{seller_id}:{currency}",
        currency,
        "liability",
        debits_must_not_exceed_credits=True,
    )


async def ensure_clearance(session: AsyncSession, seller_id: str, currency: str) -> LedgerAccount:
    """See :func:`clearance_account`."""
    return await chart.ensure_account(session, clearance_account(seller_id, currency))


async def pending_clearance(session: AsyncSession, seller_id: str, currency: str) -> int:
    """The seller's earnings still clearing, minor units."""
    account = await ensure_clearance(session, seller_id, currency)
    balance = await get_balance(session, account.id)
    return balance.credits_posted - balance.debits_posted


def platform_take(order: Order) -> int:
    """What the platform keeps: commission + the buyer's service fee, minor units."""
    return order.commission + order.service_fee


async def _holds(session: AsyncSession, order: Order) -> ledger_holds.EscrowHolds:
    clearance = await ensure_clearance(session, order.seller_id, order.currency)
    return ledger_holds.EscrowHolds(
        order_id=order.id,
        currency=order.currency,
        seller_account_id=clearance.id,
        seller_amount=order.seller_share,
        fee_amount=platform_take(order),
        code="marketplace",
    )


async def place_holds(session: AsyncSession, order: Order) -> None:
    """Hold the seller's share (into pending clearance) and the platform's take out of the
    order's escrow account (:mod:`kro.ledger.holds`)."""
    await ledger_holds.place(session, await _holds(session, order))


async def post_holds(session: AsyncSession, order: Order) -> None:
    """Completion: the seller's share into pending clearance, the platform's take earned."""
    await ledger_holds.post(session, await _holds(session, order))


async def void_and_refund(
    session: AsyncSession, order: Order, payment: Payment, reason: str
) -> None:
    """Cancellation of a paid order: both holds voided, the buyer refunded everything."""
    await ledger_holds.void(session, await _holds(session, order))
    await _refund(session, order, payment, reason)


async def split(
    session: AsyncSession, order: Order, payment: Payment, seller_amount: int, reason: str
) -> int:
    """A dispute split: the seller's hold posted for ``seller_amount`` (the rest returns to
    escrow), the platform's take posted, what is left in escrow refunded to the buyer.
    Returns the refund, minor units. The caller checks 0 < seller_amount < seller_share."""
    await ledger_holds.post(session, await _holds(session, order), seller_amount=seller_amount)
    to_buyer = order.seller_share - seller_amount
    escrow = await chart.ensure_escrow(session, order.id, order.currency)
    await refunds.request_refund(
        session, payment, to_buyer, reason, from_account_id=escrow.id, refund_id=f"rfd_{order.id}"
    )
    order.refunded_amount = to_buyer
    return to_buyer


async def clear(session: AsyncSession, order: Order, amount: int | None = None) -> None:
    """Clearance over: the seller's share (``amount``, default all of it) moves from pending
    clearance to the wallet."""
    clearance = await ensure_clearance(session, order.seller_id, order.currency)
    wallet = await chart.ensure_wallet(session, order.seller_id, order.currency)
    await create_transfers(
        session,
        [
            TransferSpec(
                id=f"trf_{order.id}_clear",
                debit_account_id=clearance.id,
                credit_account_id=wallet.id,
                amount=order.seller_share if amount is None else amount,
                currency=order.currency,
                code="marketplace.clear",
                reference=order.id,
            )
        ],
    )


async def claw_back_and_refund(
    session: AsyncSession, order: Order, payment: Payment, reason: str
) -> None:
    """A refund after completion, within clearance: the seller's pending earnings and the
    platform's take go back into escrow (one batch; the clearance account cannot go
    negative), then the buyer is refunded in full."""
    escrow = await chart.ensure_escrow(session, order.id, order.currency)
    clearance = await ensure_clearance(session, order.seller_id, order.currency)
    back = [
        TransferSpec(
            id=f"trf_{order.id}_clawback",
            debit_account_id=clearance.id,
            credit_account_id=escrow.id,
            amount=order.seller_share,
            currency=order.currency,
            code="marketplace.clawback",
            reference=order.id,
        )
    ]
    if platform_take(order) > 0:
        platform = await chart.ensure_platform_fees(session, order.currency)
        back.append(
            TransferSpec(
                id=f"trf_{order.id}_fee_back",
                debit_account_id=platform.id,
                credit_account_id=escrow.id,
                amount=platform_take(order),
                currency=order.currency,
                code="marketplace.fee_refund",
                reference=order.id,
            )
        )
    await create_transfers(session, back)
    await _refund(session, order, payment, reason)


async def _refund(session: AsyncSession, order: Order, payment: Payment, reason: str) -> None:
    escrow = await chart.ensure_escrow(session, order.id, order.currency)
    await refunds.request_refund(
        session,
        payment,
        order.buyer_pays,
        reason,
        from_account_id=escrow.id,
        refund_id=f"rfd_{order.id}",
    )
    order.refunded_amount = order.buyer_pays
    order.closed_at = utcnow()
