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

An extra bought mid-order has its own payment and its own escrow account, held the same way
(``trf_{extra}_seller``, ``trf_{extra}_fee``) and following the order: posted with its
completion, voided and refunded with its cancellation (or with a dispute's split), clawed
back with its refund. A tip is posted at once from its own escrow account into the seller's
pending clearance (less the platform's cut) and clears like an order's earnings.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.ledger import chart
from kro.ledger import holds as ledger_holds
from kro.ledger.chart import AccountDef
from kro.ledger.models import LedgerAccount
from kro.ledger.service import create_transfers, get_balance
from kro.ledger.specs import TransferSpec
from kro.marketplace.models import Order, OrderExtra, Tip
from kro.payments.collect import service as payments
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


async def _extra_holds(
    session: AsyncSession, order: Order, extra: OrderExtra
) -> ledger_holds.EscrowHolds:
    clearance = await ensure_clearance(session, order.seller_id, order.currency)
    return ledger_holds.EscrowHolds(
        order_id=extra.id,
        currency=order.currency,
        seller_account_id=clearance.id,
        seller_amount=extra.seller_share,
        fee_amount=extra.commission + extra.service_fee,
        code="marketplace_extra",
    )


async def _extras(session: AsyncSession, order: Order, status: str) -> list[OrderExtra]:
    stmt = (
        select(OrderExtra)
        .where(OrderExtra.order_id == order.id, OrderExtra.status == status)
        .order_by(OrderExtra.id)
        .with_for_update()
    )
    return list((await session.execute(stmt)).scalars())


async def place_extra_holds(session: AsyncSession, order: Order, extra: OrderExtra) -> None:
    """A mid-order extra is paid: its money held out of its own escrow account."""
    await ledger_holds.place(session, await _extra_holds(session, order, extra))


async def post_holds(session: AsyncSession, order: Order) -> int:
    """Completion: the seller's share into pending clearance, the platform's take earned;
    the same for every held extra. Returns the seller's whole share, minor units."""
    await ledger_holds.post(session, await _holds(session, order))
    share = order.seller_share
    for extra in await _extras(session, order, "held"):
        await ledger_holds.post(session, await _extra_holds(session, order, extra))
        extra.status = "released"
        share += extra.seller_share
    return share


async def void_and_refund(
    session: AsyncSession, order: Order, payment: Payment, reason: str
) -> None:
    """Cancellation of a paid order: both holds voided, the buyer refunded everything (the
    held extras too)."""
    await ledger_holds.void(session, await _holds(session, order))
    await _refund(session, order, payment, reason)
    await _void_extras(session, order, reason)


async def _void_extras(session: AsyncSession, order: Order, reason: str) -> None:
    for extra in await _extras(session, order, "held"):
        await ledger_holds.void(session, await _extra_holds(session, order, extra))
        await refund_extra(session, order, extra, reason)


async def refund_extra(session: AsyncSession, order: Order, extra: OrderExtra, reason: str) -> None:
    """Give an extra's payment back in full from its escrow account (its holds voided, or
    never placed: paid after the order ended); the extra is ``refunded``."""
    payment = await payments.find_payment(session, extra.payment_id or "", lock=True)
    assert payment is not None
    await refund_payment_from(session, payment, extra.id, order.currency, reason)
    extra.status = "refunded"
    order.refunded_amount += payment.amount


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
    await _void_extras(session, order, reason)
    return to_buyer


async def clear(session: AsyncSession, order: Order, amount: int | None = None) -> None:
    """Clearance over: the seller's share (``amount``, default all of it) moves from pending
    clearance to the wallet."""
    amount = order.seller_share if amount is None else amount
    await _to_wallet(session, order.seller_id, order.currency, order.id, amount, order.id)


async def _to_wallet(
    session: AsyncSession, seller_id: str, currency: str, owner_id: str, amount: int, ref: str
) -> None:
    clearance = await ensure_clearance(session, seller_id, currency)
    wallet = await chart.ensure_wallet(session, seller_id, currency)
    await create_transfers(
        session,
        [
            TransferSpec(
                id=f"trf_{owner_id}_clear",
                debit_account_id=clearance.id,
                credit_account_id=wallet.id,
                amount=amount,
                currency=currency,
                code="marketplace.clear",
                reference=ref,
            )
        ],
    )


async def claw_back_and_refund(
    session: AsyncSession, order: Order, payment: Payment, reason: str
) -> None:
    """A refund after completion, within clearance: the seller's pending earnings and the
    platform's take go back into escrow (one batch with the released extras'; the clearance
    account cannot go negative), then the buyer is refunded in full, extras included."""
    extras = await _extras(session, order, "released")
    back = await _claw_back(session, order, order.id, order.seller_share, platform_take(order))
    for extra in extras:
        take = extra.commission + extra.service_fee
        back += await _claw_back(session, order, extra.id, extra.seller_share, take)
    await create_transfers(session, back)
    await _refund(session, order, payment, reason)
    for extra in extras:
        await refund_extra(session, order, extra, reason)


async def _claw_back(
    session: AsyncSession, order: Order, owner_id: str, share: int, take: int
) -> list[TransferSpec]:
    """Transfers back into ``owner_id``'s escrow account (an order's or an extra's)."""
    escrow = await chart.ensure_escrow(session, owner_id, order.currency)
    clearance = await ensure_clearance(session, order.seller_id, order.currency)
    back = [
        TransferSpec(
            id=f"trf_{owner_id}_clawback",
            debit_account_id=clearance.id,
            credit_account_id=escrow.id,
            amount=share,
            currency=order.currency,
            code="marketplace.clawback",
            reference=order.id,
        )
    ]
    if take > 0:
        platform = await chart.ensure_platform_fees(session, order.currency)
        back.append(
            TransferSpec(
                id=f"trf_{owner_id}_fee_back",
                debit_account_id=platform.id,
                credit_account_id=escrow.id,
                amount=take,
                currency=order.currency,
                code="marketplace.fee_refund",
                reference=order.id,
            )
        )
    return back


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


async def credit_tip(session: AsyncSession, tip: Tip) -> None:
    """A paid tip: from its escrow account into the seller's pending clearance, the
    platform's cut (if any) to platform fees — posted at once, one batch."""
    escrow = await chart.ensure_escrow(session, tip.id, tip.currency)
    clearance = await ensure_clearance(session, tip.seller_id, tip.currency)
    batch = [
        TransferSpec(
            id=f"trf_{tip.id}_seller",
            debit_account_id=escrow.id,
            credit_account_id=clearance.id,
            amount=tip.seller_share,
            currency=tip.currency,
            code="marketplace.tip",
            reference=tip.order_id,
        )
    ]
    if tip.commission > 0:
        platform = await chart.ensure_platform_fees(session, tip.currency)
        batch.append(
            TransferSpec(
                id=f"trf_{tip.id}_fee",
                debit_account_id=escrow.id,
                credit_account_id=platform.id,
                amount=tip.commission,
                currency=tip.currency,
                code="marketplace.tip_fee",
                reference=tip.order_id,
            )
        )
    await create_transfers(session, batch)


async def clear_tip(session: AsyncSession, tip: Tip) -> None:
    """A tip's clearance is over: the seller's share moves to the wallet."""
    await _to_wallet(session, tip.seller_id, tip.currency, tip.id, tip.seller_share, tip.order_id)


async def refund_payment_from(
    session: AsyncSession, payment: Payment, owner_id: str, currency: str, reason: str
) -> None:
    """Give back all of ``payment`` from ``owner_id``'s escrow account (an extra's, a
    tip's)."""
    escrow = await chart.ensure_escrow(session, owner_id, currency)
    await refunds.request_refund(
        session, payment, None, reason, from_account_id=escrow.id, refund_id=f"rfd_{owner_id}"
    )


@dataclass(frozen=True)
class Earnings:
    """A seller's money in one currency, minor units: still clearing, and withdrawable."""

    currency: str
    pending_clearance: int
    available: int


async def earnings(session: AsyncSession, seller_id: str, currency: str = "NGN") -> Earnings:
    """The seller's pending clearance (ledger) and available wallet balance (payouts)."""
    from kro.payouts.service import wallet_balances

    wallets = {w.currency: w for w in await wallet_balances(session, seller_id)}
    available = wallets[currency].available if currency in wallets else 0
    clearing = await pending_clearance(session, seller_id, currency)
    return Earnings(currency, clearing, available)
