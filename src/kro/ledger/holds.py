"""An order's money held in escrow (DESIGN.md section 4: escrow is a pending transfer), for
every product that holds money until work is done — the escrow product, the marketplace.

Two pending transfers out of the order's escrow account, in one atomic batch: the seller's
share to the account the seller is paid into, and the platform's take to platform fees (none
when it is 0). Then, together and atomically: **post** both (release), **void** both (refund:
the money stays in escrow for the refund to take), or post the seller's in part and the fee in
full (a dispute's split: the rest returns to escrow). Transfer ids derive from the order, so a
retried step is a no-op (``trf_{order}_seller``, ``…_fee``, ``…_post``, ``…_void``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kro.ledger import chart
from kro.ledger.service import create_transfers
from kro.ledger.specs import PostPending, TransferRequest, TransferSpec, VoidPending


@dataclass(frozen=True, slots=True)
class EscrowHolds:
    """The holds of one order: ``seller_amount`` and ``fee_amount`` in minor units of
    ``currency``; ``seller_account_id`` receives the seller's share; ``code`` prefixes the
    transfers' codes (``"escrow"`` → ``escrow.hold_seller``, ``escrow.hold_fee``)."""

    order_id: str
    currency: str
    seller_account_id: str
    seller_amount: int
    fee_amount: int
    code: str

    @property
    def seller_hold(self) -> str:
        return f"trf_{self.order_id}_seller"

    @property
    def fee_hold(self) -> str:
        return f"trf_{self.order_id}_fee"

    def _both(self) -> list[str]:
        return [self.seller_hold, *([self.fee_hold] if self.fee_amount > 0 else [])]


async def place(session: AsyncSession, holds: EscrowHolds) -> None:
    """Hold the seller's share and the platform's take out of the order's escrow account."""
    escrow = await chart.ensure_escrow(session, holds.order_id, holds.currency)
    batch = [
        TransferSpec(
            id=holds.seller_hold,
            debit_account_id=escrow.id,
            credit_account_id=holds.seller_account_id,
            amount=holds.seller_amount,
            currency=holds.currency,
            code=f"{holds.code}.hold_seller",
            reference=holds.order_id,
            pending=True,
        )
    ]
    if holds.fee_amount > 0:
        platform = await chart.ensure_platform_fees(session, holds.currency)
        batch.append(
            TransferSpec(
                id=holds.fee_hold,
                debit_account_id=escrow.id,
                credit_account_id=platform.id,
                amount=holds.fee_amount,
                currency=holds.currency,
                code=f"{holds.code}.hold_fee",
                reference=holds.order_id,
                pending=True,
            )
        )
    await create_transfers(session, batch)


async def post(
    session: AsyncSession, holds: EscrowHolds, *, seller_amount: int | None = None
) -> None:
    """Release: both holds posted (the seller's for ``seller_amount`` only, when given: a
    split; the rest of that hold returns to escrow)."""
    batch: list[TransferRequest] = [
        PostPending(id=f"{hold}_post", pending_id=hold) for hold in holds._both()
    ]
    if seller_amount is not None:
        batch[0] = PostPending(
            id=f"{holds.seller_hold}_post", pending_id=holds.seller_hold, amount=seller_amount
        )
    await create_transfers(session, batch)


async def void(session: AsyncSession, holds: EscrowHolds) -> None:
    """Refund: both holds voided; the money is back in the order's escrow account."""
    await create_transfers(
        session, [VoidPending(id=f"{hold}_void", pending_id=hold) for hold in holds._both()]
    )
