"""Both stores run the same statements: the portable Core store is checked on PostgreSQL too
(the suite otherwise runs it on SQLite only, and the asyncpg store on PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.clock import utcnow
from kro.kit.db import create_engine, session_factory, unit_of_work
from kro.ledger import posting, store
from kro.ledger.errors import InsufficientFunds, TransferExists
from kro.ledger.models import LedgerAccount
from kro.ledger.service import (
    PostPending,
    VoidPending,
    check_invariants,
    create_transfer,
    create_transfers,
    expire_pending,
    get_balance,
    get_transfer,
)
from tests.ledger.factories import fund, make_account, make_wallet, spec


def test_compiled_statements_bind_literals_and_order_parameters() -> None:
    compiled = store._PG.resolve_pending
    assert compiled.names == ("p_status", "p_posted", "p_id", "status_1")
    assert compiled.args({"p_id": "trf_1", "p_status": "posted", "p_posted": 5}) == (
        "posted",
        5,
        "trf_1",
        "pending",
    )
    assert "ANY($1::VARCHAR[])" in store._PG.select_accounts.sql.upper()


async def _scenario(session: AsyncSession) -> list[tuple[int, int, int, int]]:
    wallet, escrow = await make_wallet(session), await make_wallet(session)
    fees = await make_account(session, "revenue", shards=4)
    await fund(session, wallet, 10_000)
    request = spec(wallet, escrow, 4_000, pending=True, metadata={"order": "ord_1"})
    hold = await create_transfer(session, request)
    assert await create_transfer(session, request) is hold
    with pytest.raises(TransferExists):
        await create_transfer(session, spec(wallet, escrow, 1, pending=True, id=hold.id))
    await create_transfers(session, [PostPending("trf_post", hold.id, amount=3_000)])
    with pytest.raises(InsufficientFunds):
        await create_transfers(session, [spec(wallet, fees, 500), spec(wallet, escrow, 6_501)])
    await create_transfers(session, [spec(wallet, fees, 500), spec(escrow, fees, 100)])
    timed = await create_transfer(
        session, spec(wallet, escrow, 50, pending=True, timeout=timedelta(seconds=1))
    )
    assert await expire_pending(session, utcnow() + timedelta(seconds=2)) == 1
    assert timed.status == "expired"
    hold2 = await create_transfer(session, spec(wallet, escrow, 70, pending=True))
    await create_transfer(session, VoidPending("trf_void", hold2.id))
    assert await check_invariants(session) == []
    balances = [await get_balance(session, a.id) for a in (wallet, escrow, fees)]
    return [
        (b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending) for b in balances
    ]


@pytest.mark.postgres
async def test_core_store_and_asyncpg_store_agree(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    async with sessions() as session:
        assert isinstance(await store.store_for(session), store.AsyncpgStore)
        fast = await _scenario(session)
        await session.rollback()

    async def core_store(session: AsyncSession) -> store.CoreStore:
        return store.CoreStore(await session.connection())

    monkeypatch.setattr(posting, "store_for", core_store)
    async with sessions() as session:
        assert await _scenario(session) == fast
        await session.rollback()
    await engine.dispose()
    assert fast == [(3_500, 10_000, 0, 0), (100, 3_000, 0, 0), (0, 600, 0, 0)]


@pytest.mark.postgres
async def test_asyncpg_store_fast_paths_and_their_fallbacks_agree(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shortcuts into SQLAlchemy's internals (BEGIN by its asyncpg adapter, new rows
    registered as its loader does) exist on the pinned version, and the public fallbacks
    used if they ever vanish give the same results."""
    assert posting.LOADER_ENTRY_POINT
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    async with sessions() as session:
        fast_store = await store.store_for(session)
        assert isinstance(fast_store, store.AsyncpgStore)
        assert store.can_begin_directly(fast_store.adapter)
        fast = await _scenario(session)
        prepared = dict(fast_store.prepared)
        assert prepared  # kept with the connection, reused by the next batch
        await create_transfers(session, [spec(*await _pair(session), 1)])
        assert all(fast_store.prepared[sql] is stmt for sql, stmt in prepared.items())
        await session.rollback()

    monkeypatch.setattr(store, "can_begin_directly", lambda adapter: False)
    monkeypatch.setattr(posting, "LOADER_ENTRY_POINT", False)
    async with sessions() as session:
        assert await _scenario(session) == fast
        await session.rollback()
    await engine.dispose()


async def _pair(session: AsyncSession) -> tuple[LedgerAccount, LedgerAccount]:
    wallet = await make_wallet(session)
    await fund(session, wallet, 10)
    return wallet, await make_wallet(session)


async def test_new_transfers_are_session_objects_until_the_unit_of_work_closes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Returned transfers are the session's own (a retry or a lookup returns the same
    object); unit_of_work commits and then detaches them, or rolls back on error."""
    async with unit_of_work(sessions) as session:
        wallet, payee = await _pair(session)
        (transfer,) = await create_transfers(session, [spec(wallet, payee, 5)])
        assert transfer in session and not inspect(transfer).modified
        assert await get_transfer(session, transfer.id) is transfer
    assert inspect(transfer).detached and transfer.amount == 5
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            await create_transfers(session, [spec(wallet, payee, 1)])
            raise RuntimeError("after the ledger call")
    async with unit_of_work(sessions) as session:
        assert (await get_balance(session, payee.id)).credits_posted == 5
