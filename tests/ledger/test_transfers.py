"""Normal transfers and atomic batches, on every backend (service.create_transfers)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.db import unit_of_work
from kro.kit.errors import Conflict, NotFound, Unprocessable
from kro.ledger.errors import (
    AccountNotFound,
    CurrencyMismatch,
    InsufficientFunds,
    InvalidTransfer,
    TransferExists,
)
from kro.ledger.models import LedgerAccount, LedgerTransfer
from kro.ledger.service import (
    TransferSpec,
    create_transfer,
    create_transfers,
    get_balance,
    get_transfer,
)
from tests.ledger.factories import assert_sound, fund, make_account, make_wallet, spec


async def test_transfer_moves_posted_counters(
    session: AsyncSession, wallet: LedgerAccount, clearing: LedgerAccount
) -> None:
    payee = await make_wallet(session)
    transfer = await create_transfer(session, spec(wallet, payee, 2_500, reference="ord_1"))

    assert (transfer.kind, transfer.amount, transfer.status, transfer.reference) == (
        "normal",
        2_500,
        None,
        "ord_1",
    )
    payer_balance, payee_balance = (
        await get_balance(session, wallet.id),
        await get_balance(session, payee.id),
    )
    assert (payer_balance.debits_posted, payer_balance.available) == (2_500, 7_500)
    assert (payee_balance.credits_posted, payee_balance.available) == (2_500, 2_500)
    # Objects the session holds are refreshed, not left stale.
    assert (wallet.debits_posted, payee.credits_posted) == (2_500, 2_500)
    assert await get_transfer(session, transfer.id) is transfer
    await assert_sound(session)


async def test_retry_with_same_fields_returns_the_first_transfer(
    session: AsyncSession, wallet: LedgerAccount
) -> None:
    payee = await make_wallet(session)
    request = spec(wallet, payee, 4_000, metadata={"order": "ord_1"})
    first = await create_transfer(session, request)
    again = await create_transfer(session, request)

    assert again is first
    assert (await get_balance(session, wallet.id)).debits_posted == 4_000
    await assert_sound(session)


async def test_retry_after_the_funds_are_spent_still_returns_the_transfer(
    session: AsyncSession, wallet: LedgerAccount
) -> None:
    payee = await make_wallet(session)
    request = spec(wallet, payee, 10_000)  # the whole balance
    first = await create_transfer(session, request)

    assert await create_transfer(session, request) is first
    await assert_sound(session)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", 4_001),
        ("code", "other.code"),
        ("reference", "x"),
        ("pending", True),
        ("metadata", {"a": 1}),
    ],
)
async def test_reusing_an_id_with_different_fields_is_refused(
    session: AsyncSession, wallet: LedgerAccount, field: str, value: Any
) -> None:
    payee = await make_wallet(session)
    request = spec(wallet, payee, 4_000)
    await create_transfer(session, request)

    with pytest.raises(TransferExists) as caught:
        await create_transfer(session, request._replace(**{field: value}))
    assert caught.value.code == "transfer_id_reused"
    assert caught.value.http_status == 409
    assert field in caught.value.details["fields"] or field == "pending"
    assert (await get_balance(session, wallet.id)).debits_posted == 4_000


async def test_insufficient_funds_changes_nothing(
    session: AsyncSession, wallet: LedgerAccount
) -> None:
    payee = await make_wallet(session)
    with pytest.raises(InsufficientFunds) as caught:
        await create_transfer(session, spec(wallet, payee, 10_001))

    assert isinstance(caught.value, Conflict)
    assert caught.value.code == "insufficient_funds"
    assert caught.value.details["available"] == 10_000
    assert (await get_balance(session, wallet.id)).available == 10_000
    await create_transfer(session, spec(wallet, payee, 10_000))  # exactly all of it is fine
    assert (await get_balance(session, wallet.id)).available == 0
    await assert_sound(session)


async def test_credits_must_not_exceed_debits(
    session: AsyncSession, clearing: LedgerAccount
) -> None:
    cash = await make_account(session, "asset", credits_limited=True, name="cash")
    await create_transfer(session, spec(cash, clearing, 500))  # debit the asset: it grows
    await create_transfer(session, spec(clearing, cash, 500))  # back to zero
    with pytest.raises(InsufficientFunds) as caught:
        await create_transfer(session, spec(clearing, cash, 1))
    assert caught.value.details["limit"] == "credits_must_not_exceed_debits"
    await assert_sound(session)


async def test_a_failing_member_rolls_back_the_whole_batch(
    session: AsyncSession, wallet: LedgerAccount, clearing: LedgerAccount
) -> None:
    seller, fees = await make_wallet(session), await make_account(session, "revenue", shards=4)
    poor = await make_wallet(session)
    batch = [
        spec(wallet, seller, 9_000),
        spec(wallet, fees, 1_000),
        spec(poor, seller, 1),  # poor has nothing
    ]
    with pytest.raises(InsufficientFunds):
        await create_transfers(session, batch)

    for account in (wallet, seller, fees, poor):
        balance = await get_balance(session, account.id)
        assert (balance.debits_posted, balance.credits_posted) == (
            (0, 10_000) if account is wallet else (0, 0)
        )
    stored = await session.execute(
        select(LedgerTransfer.id).where(LedgerTransfer.id.in_([s.id for s in batch]))
    )
    assert stored.all() == []
    # The caller's transaction is intact and usable: the good part alone now succeeds.
    done = await create_transfers(session, batch[:2])
    assert [t.amount for t in done] == [9_000, 1_000]
    assert len({t.batch_id for t in done}) == 1
    await assert_sound(session)


async def test_a_failed_batch_leaves_the_callers_own_writes_committable(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as s:
        wallet, payee = await make_wallet(s), await make_wallet(s)
        wallet_id, payee_id = wallet.id, payee.id
        await s.flush()
        with pytest.raises(InsufficientFunds):
            await create_transfer(s, spec(wallet, payee, 1))
    async with sessions() as s:
        assert await s.get(LedgerAccount, wallet_id) is not None
        assert await s.get(LedgerAccount, payee_id) is not None


async def test_limits_are_judged_on_the_batch_net_effect(
    session: AsyncSession, clearing: LedgerAccount
) -> None:
    wallet, payee = await make_wallet(session), await make_wallet(session)
    # The debit comes first, but the batch is atomic: only the end state is ever visible.
    await create_transfers(session, [spec(wallet, payee, 700), spec(clearing, wallet, 700)])
    assert (await get_balance(session, wallet.id)).available == 0
    await assert_sound(session)


async def test_currency_must_match_both_accounts(
    session: AsyncSession, wallet: LedgerAccount
) -> None:
    dollars = await make_wallet(session, currency="USD")
    with pytest.raises(CurrencyMismatch) as caught:
        await create_transfer(session, spec(wallet, dollars, 100))
    assert isinstance(caught.value, Unprocessable)
    with pytest.raises(CurrencyMismatch):
        await create_transfer(session, spec(wallet, dollars, 1)._replace(currency="USD"))
    await assert_sound(session)


async def test_unknown_account(session: AsyncSession, wallet: LedgerAccount) -> None:
    request = TransferSpec("trf_unknown", wallet.id, "acc_missing", 1, "NGN", "test")
    with pytest.raises(AccountNotFound) as caught:
        await create_transfer(session, request)
    assert isinstance(caught.value, NotFound)
    assert caught.value.details["account_id"] == "acc_missing"


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 0},
        {"amount": -5},
        {"amount": 1.5},
        {"amount": True},
        {"currency": "XYZ"},
        {"code": ""},
        {"id": ""},
        {"id": "x" * 65},
        {"credit_account_id": "same"},
        {"timeout": __import__("datetime").timedelta(seconds=5)},  # not pending
    ],
)
async def test_invalid_requests_are_422(session: AsyncSession, change: dict[str, object]) -> None:
    request = TransferSpec("trf_1", "same", "acc_2", 100, "NGN", "test")
    with pytest.raises(InvalidTransfer) as caught:
        await create_transfer(session, request._replace(**change))  # type: ignore[arg-type]
    assert caught.value.http_status == 422


async def test_invalid_batches(session: AsyncSession, wallet: LedgerAccount) -> None:
    payee = await make_wallet(session)
    one = spec(wallet, payee, 1)
    with pytest.raises(InvalidTransfer):
        await create_transfers(session, [])
    with pytest.raises(InvalidTransfer):
        await create_transfers(session, [one, one])


async def test_sharded_account_balance_sums_its_shards(
    session: AsyncSession, clearing: LedgerAccount
) -> None:
    fees = await make_account(session, "revenue", shards=8, name="fees")
    for amount in range(1, 21):
        await create_transfer(session, spec(clearing, fees, amount))
    shard_rows = await session.execute(
        text("SELECT count(*) FROM ledger_account_shards WHERE account_id = :a"), {"a": fees.id}
    )
    assert shard_rows.scalar_one() > 1  # spread over several rows
    balance = await get_balance(session, fees.id)
    assert (balance.credits_posted, balance.posted, balance.available) == (210, 210, 210)
    await assert_sound(session)


async def test_the_database_refuses_an_overdraft_even_without_the_service(
    session: AsyncSession, wallet: LedgerAccount
) -> None:
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(
                text("UPDATE ledger_accounts SET debits_posted = 10001 WHERE id = :id"),
                {"id": wallet.id},
            )


async def test_fund_helper_and_funding_source_is_debit_normal(
    session: AsyncSession, wallet: LedgerAccount, clearing: LedgerAccount
) -> None:
    other = await make_wallet(session)
    await fund(session, other, 50, source=clearing)
    balance = await get_balance(session, clearing.id)
    assert (balance.debits_posted, balance.posted, balance.credit_normal) == (10_050, 10_050, False)


async def test_a_batch_mixing_a_retry_and_new_transfers(
    session: AsyncSession, wallet: LedgerAccount
) -> None:
    payee = await make_wallet(session)
    done = await create_transfer(session, spec(wallet, payee, 1_000))
    request = spec(wallet, payee, 2_000)
    again, new = await create_transfers(
        session, [spec(wallet, payee, 1_000)._replace(id=done.id), request]
    )
    assert again is done
    assert (new.id, new.amount) == (request.id, 2_000)
    assert (await get_balance(session, wallet.id)).debits_posted == 3_000
    await assert_sound(session)
