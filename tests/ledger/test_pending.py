"""Two-phase transfers: holds, full and partial posts, voids, expiry (TigerBeetle semantics)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock, utcnow
from kro.ledger.errors import (
    ExceedsPendingAmount,
    InsufficientFunds,
    InvalidTransfer,
    PendingTransferExpired,
    PendingTransferNotFound,
    PendingTransferNotPending,
    TransferExists,
)
from kro.ledger.models import LedgerAccount
from kro.ledger.service import (
    PostPending,
    VoidPending,
    create_transfer,
    create_transfers,
    expire_pending,
    get_balance,
)
from tests.ledger.factories import assert_sound, make_account, make_wallet, spec


@pytest.fixture
async def escrow(session: AsyncSession) -> LedgerAccount:
    return await make_account(session, limited=True, name="escrow")


async def _counters(session: AsyncSession, account: LedgerAccount) -> tuple[int, int, int, int]:
    b = await get_balance(session, account.id)
    return (b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending)


async def test_a_hold_reserves_funds(
    session: AsyncSession, wallet: LedgerAccount, escrow: LedgerAccount
) -> None:
    hold = await create_transfer(session, spec(wallet, escrow, 6_000, pending=True))

    assert (hold.kind, hold.status, hold.amount_posted) == ("pending", "pending", 0)
    assert await _counters(session, wallet) == (0, 10_000, 6_000, 0)
    assert await _counters(session, escrow) == (0, 0, 0, 6_000)
    wallet_balance = await get_balance(session, wallet.id)
    assert (wallet_balance.available, wallet_balance.posted) == (4_000, 10_000)
    assert (await get_balance(session, escrow.id)).pending == 6_000
    with pytest.raises(InsufficientFunds):  # held money cannot be spent twice
        await create_transfer(session, spec(wallet, escrow, 4_001))
    await assert_sound(session)


async def test_full_post(
    session: AsyncSession, wallet: LedgerAccount, escrow: LedgerAccount
) -> None:
    hold = await create_transfer(session, spec(wallet, escrow, 6_000, pending=True))
    post = await create_transfer(session, PostPending("trf_post_1", hold.id, code="escrow.release"))

    assert (post.kind, post.amount, post.pending_id, post.code) == (
        "post_pending",
        6_000,
        hold.id,
        "escrow.release",
    )
    assert (post.debit_account_id, post.credit_account_id) == (wallet.id, escrow.id)
    assert (hold.status, hold.amount_posted) == ("posted", 6_000)  # the held object is updated
    assert await _counters(session, wallet) == (6_000, 10_000, 0, 0)
    assert await _counters(session, escrow) == (0, 6_000, 0, 0)
    await assert_sound(session)


async def test_partial_post_releases_the_rest(
    session: AsyncSession, wallet: LedgerAccount, escrow: LedgerAccount
) -> None:
    hold = await create_transfer(session, spec(wallet, escrow, 6_000, pending=True, reference="r"))
    post = await create_transfer(session, PostPending("trf_post_1", hold.id, amount=3_500))

    assert (post.amount, post.code, post.reference) == (3_500, hold.code, "r")  # inherited
    assert (hold.status, hold.amount_posted) == ("posted", 3_500)
    assert await _counters(session, wallet) == (3_500, 10_000, 0, 0)
    assert (await get_balance(session, wallet.id)).available == 6_500
    with pytest.raises(PendingTransferNotPending):  # one post per hold, like TigerBeetle
        await create_transfer(session, PostPending("trf_post_2", hold.id, amount=2_500))
    await assert_sound(session)


async def test_void(session: AsyncSession, wallet: LedgerAccount, escrow: LedgerAccount) -> None:
    hold = await create_transfer(session, spec(wallet, escrow, 6_000, pending=True))
    void = await create_transfer(session, VoidPending("trf_void_1", hold.id, code="escrow.refund"))

    assert (void.kind, void.amount, void.code) == ("void_pending", 6_000, "escrow.refund")
    assert (hold.status, hold.amount_posted) == ("voided", 0)
    assert await _counters(session, wallet) == (0, 10_000, 0, 0)
    assert await _counters(session, escrow) == (0, 0, 0, 0)
    with pytest.raises(PendingTransferNotPending) as caught:
        await create_transfer(session, PostPending("trf_post_1", hold.id))
    assert caught.value.details["status"] == "voided"
    await assert_sound(session)


async def test_post_and_void_retries_are_idempotent(
    session: AsyncSession, wallet: LedgerAccount, escrow: LedgerAccount
) -> None:
    hold = await create_transfer(session, spec(wallet, escrow, 6_000, pending=True))
    post = PostPending("trf_post_1", hold.id, amount=1_000)
    first = await create_transfer(session, post)

    assert await create_transfer(session, post) is first
    with pytest.raises(TransferExists):
        await create_transfer(session, PostPending("trf_post_1", hold.id, amount=2_000))
    with pytest.raises(TransferExists):
        await create_transfer(session, VoidPending("trf_post_1", hold.id))
    await assert_sound(session)


@pytest.mark.parametrize("resolution", ["post", "void"])
async def test_resolving_what_is_not_a_live_hold(
    session: AsyncSession, wallet: LedgerAccount, escrow: LedgerAccount, resolution: str
) -> None:
    make = PostPending if resolution == "post" else VoidPending
    with pytest.raises(PendingTransferNotFound):
        await create_transfer(session, make("trf_r1", "trf_missing"))
    normal = await create_transfer(session, spec(wallet, escrow, 10))
    with pytest.raises(PendingTransferNotPending) as caught:
        await create_transfer(session, make("trf_r2", normal.id))
    assert caught.value.details["kind"] == "normal"


async def test_post_more_than_held(
    session: AsyncSession, wallet: LedgerAccount, escrow: LedgerAccount
) -> None:
    hold = await create_transfer(session, spec(wallet, escrow, 600, pending=True))
    with pytest.raises(ExceedsPendingAmount):
        await create_transfer(session, PostPending("trf_post_1", hold.id, amount=601))
    assert hold.status == "pending"


async def test_resolve_in_the_same_batch_is_refused(
    session: AsyncSession, wallet: LedgerAccount, escrow: LedgerAccount
) -> None:
    hold = spec(wallet, escrow, 600, pending=True)
    with pytest.raises(InvalidTransfer):
        await create_transfers(session, [hold, PostPending("trf_post_1", hold.id)])
    with pytest.raises(InvalidTransfer):
        await create_transfers(
            session, [PostPending("trf_a", "trf_x"), VoidPending("trf_b", "trf_x")]
        )


async def test_expiry_releases_the_hold(
    session: AsyncSession, wallet: LedgerAccount, escrow: LedgerAccount
) -> None:
    short = await create_transfer(
        session, spec(wallet, escrow, 1_000, pending=True, timeout=timedelta(minutes=5))
    )
    long = await create_transfer(
        session, spec(wallet, escrow, 2_000, pending=True, timeout=timedelta(hours=1))
    )
    forever = await create_transfer(session, spec(wallet, escrow, 3_000, pending=True))
    assert short.expires_at == short.created_at + timedelta(minutes=5)

    assert await expire_pending(session, utcnow()) == 0
    assert await expire_pending(session, utcnow() + timedelta(minutes=10)) == 1
    assert (short.status, long.status, forever.status) == ("expired", "pending", "pending")
    assert await _counters(session, wallet) == (0, 10_000, 5_000, 0)
    assert await expire_pending(session, utcnow() + timedelta(minutes=10)) == 0
    await assert_sound(session)


async def test_a_hold_past_its_timeout_cannot_be_posted(
    session: AsyncSession, wallet: LedgerAccount, escrow: LedgerAccount
) -> None:
    hold = await create_transfer(
        session, spec(wallet, escrow, 1_000, pending=True, timeout=timedelta(seconds=30))
    )
    clock.advance(timedelta(seconds=31))
    with pytest.raises(PendingTransferExpired):  # even before expire_pending ran
        await create_transfer(session, PostPending("trf_post_1", hold.id))
    assert await expire_pending(session, utcnow()) == 1
    with pytest.raises(PendingTransferExpired):
        await create_transfer(session, VoidPending("trf_void_1", hold.id))
    await assert_sound(session)


async def test_retry_of_a_timed_hold_is_idempotent(
    session: AsyncSession, wallet: LedgerAccount, escrow: LedgerAccount
) -> None:
    request = spec(wallet, escrow, 1_000, pending=True, timeout=timedelta(minutes=5))
    first = await create_transfer(session, request)
    clock.advance(timedelta(seconds=3))  # the retry computes expires_at from a later now
    assert await create_transfer(session, request) is first


async def test_hold_into_a_sharded_account_and_release(
    session: AsyncSession, wallet: LedgerAccount
) -> None:
    in_flight = await make_account(session, "liability", shards=4, name="payouts")
    holds = [
        await create_transfer(session, spec(wallet, in_flight, 100 * i, pending=True))
        for i in range(1, 6)
    ]
    await create_transfers(
        session,
        [PostPending(f"trf_p{i}", h.id) for i, h in enumerate(holds[:3])]
        + [VoidPending(f"trf_v{i}", h.id) for i, h in enumerate(holds[3:])],
    )
    assert await _counters(session, in_flight) == (0, 600, 0, 0)
    await assert_sound(session)


async def test_posting_into_a_wallet_keeps_limits(
    session: AsyncSession, clearing: LedgerAccount
) -> None:
    wallet = await make_wallet(session)
    hold = await create_transfer(session, spec(clearing, wallet, 500, pending=True))
    # Incoming holds are not spendable (credits_pending does not count toward the limit).
    with pytest.raises(InsufficientFunds):
        await create_transfer(session, spec(wallet, clearing, 1))
    await create_transfer(session, PostPending("trf_post_1", hold.id))
    await create_transfer(session, spec(wallet, clearing, 500))
    await assert_sound(session)
