"""The chart of accounts: codes, kinds, flags, and the ensure_* helpers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kro.ledger import chart
from kro.ledger.errors import InsufficientFunds
from kro.ledger.service import TransferSpec, create_transfers, get_balance
from tests.ledger.factories import assert_sound


def test_definitions() -> None:
    wallet = chart.wallet_account("usr_1", "NGN")
    assert (wallet.code, wallet.kind, wallet.owner_id) == ("wallet:usr_1:NGN", "liability", "usr_1")
    assert wallet.debits_must_not_exceed_credits and wallet.balance_shards == 1
    escrow = chart.escrow_account("ord_1", "NGN")
    assert (escrow.code, escrow.kind, escrow.debits_must_not_exceed_credits) == (
        "escrow:ord_1:NGN",
        "liability",
        True,
    )
    for hot, kind in [
        (chart.platform_fees_account("NGN"), "revenue"),
        (chart.provider_clearing_account("paystack", "NGN"), "asset"),
        (chart.provider_fees_account("paystack", "NGN"), "expense"),
        (chart.payouts_in_flight_account("NGN"), "liability"),
    ]:
        assert hot.kind == kind
        assert hot.balance_shards == chart.HOT_SHARDS
        assert not (hot.debits_must_not_exceed_credits or hot.credits_must_not_exceed_debits)


async def test_escrow_flow_through_the_chart(session: AsyncSession) -> None:
    """Buyer pays ₦10,000 via Paystack (fee ₦150); release: seller ₦9,500, platform ₦500."""
    clearing = await chart.ensure_provider_clearing(session, "paystack", "NGN")
    provider_fees = await chart.ensure_provider_fees(session, "paystack", "NGN")
    escrow = await chart.ensure_escrow(session, "ord_1", "NGN")
    seller = await chart.ensure_wallet(session, "usr_seller", "NGN")
    fees = await chart.ensure_platform_fees(session, "NGN")
    in_flight = await chart.ensure_payouts_in_flight(session, "NGN")
    assert await chart.ensure_wallet(session, "usr_seller", "NGN") is seller

    def move(tid: str, debit: str, credit: str, amount: int, code: str) -> TransferSpec:
        return TransferSpec(tid, debit, credit, amount, "NGN", code)

    await create_transfers(
        session,
        [
            move("trf_fund", clearing.id, escrow.id, 1_000_000, "escrow.fund"),
            move("trf_psfee", provider_fees.id, clearing.id, 15_000, "provider.fee"),
        ],
    )
    await create_transfers(
        session,
        [
            move("trf_rel", escrow.id, seller.id, 950_000, "escrow.release"),
            move("trf_fee", escrow.id, fees.id, 50_000, "escrow.fee"),
        ],
    )
    try:
        await create_transfers(session, [move("trf_x", escrow.id, seller.id, 1, "escrow.release")])
        raise AssertionError("escrow paid out more than it received")
    except InsufficientFunds:
        pass
    await create_transfers(session, [move("trf_out", seller.id, in_flight.id, 950_000, "payout")])

    assert (await get_balance(session, clearing.id)).posted == 985_000
    assert (await get_balance(session, provider_fees.id)).posted == 15_000
    assert (await get_balance(session, escrow.id)).available == 0
    assert (await get_balance(session, fees.id)).posted == 50_000
    assert (await get_balance(session, seller.id)).available == 0
    assert (await get_balance(session, in_flight.id)).posted == 950_000
    await assert_sound(session)
