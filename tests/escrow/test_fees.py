"""Fee policy: percentage + flat, cap, payer; and orders the fee would swallow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from kro.escrow import service
from kro.escrow.errors import AmountBelowFee
from kro.escrow.fees import FeePolicy, quote
from kro.identity import service as identity


def test_percentage_flat_cap_and_payer() -> None:
    assert quote(25_000_000, FeePolicy(150, 0, 0, "seller")).seller_fee == 375_000
    q = quote(25_000_000, FeePolicy(150, 10_000, 200_000, "buyer"))
    assert (q.fee, q.buyer_fee, q.seller_fee, q.buyer_pays) == (200_000, 200_000, 0, 25_200_000)
    q = quote(1_001, FeePolicy(1_000, 0, 0, "split"))  # 100.1 -> 100; odd unit on the seller
    assert (q.buyer_fee, q.seller_fee) == (50, 50)
    q = quote(1_050, FeePolicy(1_000, 1, 0, "split"))  # 105 + 1 = 106
    assert (q.buyer_fee, q.seller_fee) == (53, 53)


@given(
    amount=st.integers(1, 10**12),
    bps=st.integers(0, 10_000),
    flat=st.integers(0, 10**6),
    cap=st.integers(0, 10**7),
    payer=st.sampled_from(["buyer", "seller", "split"]),
)
def test_fee_parts_always_add_up(amount: int, bps: int, flat: int, cap: int, payer: str) -> None:
    q = quote(amount, FeePolicy(bps, flat, cap, payer))  # type: ignore[arg-type]
    assert q.fee == q.buyer_fee + q.seller_fee
    assert q.buyer_fee >= 0 and q.seller_fee >= 0
    assert q.buyer_pays - q.seller_receives == q.fee
    if cap:
        assert q.fee <= cap


async def test_an_order_the_fee_would_swallow_is_refused(session: AsyncSession) -> None:
    buyer = await identity.create_user(
        session, email="b@example.com", password="x" * 10, full_name="B"
    )
    await identity.create_user(session, email="s@example.com", password="x" * 10, full_name="S")
    new = service.NewOrder("s@example.com", "Tiny", None, 5_000, "NGN", ["done"])
    with pytest.raises(AmountBelowFee):
        await service.create_order(
            session, buyer, new, FeePolicy(0, 10_000, 0, "seller"), timedelta(days=1)
        )
