"""The platform fee on an escrow order: percentage + flat, optionally capped, paid by the
buyer, the seller, or split (seed 001 ``fee_configuration``; Escrow.com lets either party or
both pay, domains.md §1.1). All amounts are minor units.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Payer = Literal["buyer", "seller", "split"]


@dataclass(frozen=True)
class FeePolicy:
    """``percent_bps`` basis points (150 = 1.5 %) + ``flat``; ``cap`` 0 means uncapped."""

    percent_bps: int
    flat: int
    cap: int
    payer: Payer


@dataclass(frozen=True)
class FeeQuote:
    """What each side bears. ``buyer_pays`` = amount + buyer_fee;
    ``seller_receives`` = amount − seller_fee; ``fee`` = buyer_fee + seller_fee."""

    amount: int
    fee: int
    buyer_fee: int
    seller_fee: int

    @property
    def buyer_pays(self) -> int:
        return self.amount + self.buyer_fee

    @property
    def seller_receives(self) -> int:
        return self.amount - self.seller_fee


def quote(amount: int, policy: FeePolicy) -> FeeQuote:
    """The fee on ``amount`` (minor units) under ``policy``; a split puts the odd unit on the
    seller. The fee never exceeds the amount when the seller bears it."""
    pct = (Decimal(amount) * policy.percent_bps / Decimal(10_000)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    fee = int(pct) + policy.flat
    if policy.cap > 0:
        fee = min(fee, policy.cap)
    if policy.payer == "buyer":
        buyer_fee, seller_fee = fee, 0
    elif policy.payer == "seller":
        buyer_fee, seller_fee = 0, min(fee, amount)
    else:
        buyer_fee = fee // 2
        seller_fee = min(fee - buyer_fee, amount)
    return FeeQuote(amount, buyer_fee + seller_fee, buyer_fee, seller_fee)
