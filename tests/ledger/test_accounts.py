"""Accounts: race-safe get-or-create, definition checks, balances by owner."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.db import unit_of_work
from kro.ledger.errors import AccountExists, AccountNotFound, InvalidAccount
from kro.ledger.models import LedgerAccount
from kro.ledger.service import balances_for_owner, get_balance, get_or_create_account
from tests.ledger.factories import fund, make_account


async def test_get_or_create_returns_the_same_account(session: AsyncSession) -> None:
    first = await get_or_create_account(
        session,
        "wallet:usr_1:NGN",
        "NGN",
        "liability",
        debits_must_not_exceed_credits=True,
        owner_id="usr_1",
    )
    again = await get_or_create_account(
        session,
        "wallet:usr_1:NGN",
        "NGN",
        "liability",
        debits_must_not_exceed_credits=True,
        owner_id="usr_1",
    )
    assert again is first
    assert first.id.startswith("acc_")
    assert (first.debits_posted, first.credits_posted, first.balance_shards) == (0, 0, 1)
    assert first.created_at.tzinfo is not None


@pytest.mark.parametrize(
    "change",
    [
        {"currency": "USD"},
        {"kind": "asset"},
        {"debits_must_not_exceed_credits": False},
        {"owner_id": "usr_2"},
    ],
)
async def test_same_code_other_attributes_is_a_conflict(
    session: AsyncSession, change: dict[str, object]
) -> None:
    wanted: dict[str, object] = {
        "currency": "NGN",
        "kind": "liability",
        "debits_must_not_exceed_credits": True,
        "owner_id": "usr_1",
    }
    await get_or_create_account(session, "wallet:usr_1:NGN", **wanted)  # type: ignore[arg-type]
    with pytest.raises(AccountExists) as caught:
        await get_or_create_account(session, "wallet:usr_1:NGN", **(wanted | change))  # type: ignore[arg-type]
    assert caught.value.http_status == 409
    assert list(change) == caught.value.details["fields"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "wallet"},
        {"currency": "NAIRA"},
        {"code": ""},
        {"debits_must_not_exceed_credits": True, "credits_must_not_exceed_debits": True},
        {"debits_must_not_exceed_credits": True, "balance_shards": 4},
        {"balance_shards": 0},
        {"balance_shards": 1000},
    ],
)
async def test_invalid_definitions(session: AsyncSession, kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"code": "acct:x", "currency": "NGN", "kind": "asset"} | kwargs
    with pytest.raises(InvalidAccount) as caught:
        await get_or_create_account(session, **args)  # type: ignore[arg-type]
    assert caught.value.http_status == 422


async def test_concurrent_creators_end_with_one_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def create() -> str:
        async with unit_of_work(sessions) as s:
            account = await get_or_create_account(s, "platform:fees:NGN", "NGN", "revenue")
            await asyncio.sleep(0.01)  # keep the transaction open while others insert
            return account.id

    ids = await asyncio.gather(*(create() for _ in range(8)))
    assert len(set(ids)) == 1
    async with sessions() as s:
        count = await s.scalar(
            select(func.count()).where(LedgerAccount.code == "platform:fees:NGN")
        )
    assert count == 1


async def test_balances_for_owner(session: AsyncSession) -> None:
    naira = await get_or_create_account(
        session,
        "wallet:usr_9:NGN",
        "NGN",
        "liability",
        owner_id="usr_9",
        debits_must_not_exceed_credits=True,
    )
    dollars = await get_or_create_account(
        session,
        "wallet:usr_9:USD",
        "USD",
        "liability",
        owner_id="usr_9",
        debits_must_not_exceed_credits=True,
    )
    await make_account(session, owner_id="usr_other")
    await fund(session, naira, 1_234)
    balances = await balances_for_owner(session, "usr_9")
    assert [(b.account_id, b.currency, b.available) for b in balances] == [
        (naira.id, "NGN", 1_234),
        (dollars.id, "USD", 0),
    ]
    assert await balances_for_owner(session, "usr_none") == []


async def test_balance_of_an_unknown_account(session: AsyncSession) -> None:
    with pytest.raises(AccountNotFound):
        await get_balance(session, "acc_missing")
