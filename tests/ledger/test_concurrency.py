"""Concurrency: no lost update, no overdraft, one resolution per hold — across processes.

The multi-process test needs PostgreSQL (real row locks between separate connections); the
in-process tests run on every backend (SQLite serialises writers with BEGIN IMMEDIATE).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.db import create_engine, session_factory, unit_of_work
from kro.kit.errors import KroError
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.ledger.models import LedgerTransfer
from kro.ledger.service import (
    PostPending,
    check_invariants,
    create_transfer,
    get_balance,
)
from tests.ledger import workers
from tests.ledger.factories import fund, make_account, make_wallet, spec

PROCESSES, TASKS, ATTEMPTS = 4, 2, 8
AMOUNT, FEE, FUNDS = 100, 5, 4_000


@pytest.mark.postgres
async def test_processes_racing_for_one_wallet(pg_url: str) -> None:
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    async with unit_of_work(sessions) as s:
        wallet = await chart.ensure_wallet(s, "usr_racer", "NGN")
        payouts = await chart.ensure_payouts_in_flight(s, "NGN")
        fees = await chart.ensure_platform_fees(s, "NGN")
        await fund(s, wallet, FUNDS)
    accounts = {"wallet": wallet.id, "payouts": payouts.id, "fees": fees.id}
    assert PROCESSES * TASKS * ATTEMPTS * (AMOUNT + FEE) > FUNDS  # more is asked than there is

    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        barrier = manager.Barrier(PROCESSES)
        run = partial(
            workers.withdraw,
            pg_url,
            accounts,
            tasks=TASKS,
            attempts=ATTEMPTS,
            amount=AMOUNT,
            fee=FEE,
            barrier=barrier,
        )
        loop = asyncio.get_running_loop()
        results = await asyncio.gather(*(loop.run_in_executor(pool, run) for _ in range(PROCESSES)))

    ok = [i for r in results for i in r["ok"]]
    errors = [e for r in results for e in r["errors"]]
    assert set(errors) <= {"insufficient_funds"}, errors
    assert len(ok) == FUNDS // (AMOUNT + FEE)  # every naira that could leave, left
    async with sessions() as s:
        balance = await get_balance(s, wallet.id)
        assert balance.available == FUNDS % (AMOUNT + FEE) >= 0
        assert balance.debits_posted == len(ok) * (AMOUNT + FEE)
        assert (await get_balance(s, payouts.id)).credits_posted == len(ok) * AMOUNT
        assert (await get_balance(s, fees.id)).credits_posted == len(ok) * FEE
        stored = await s.scalar(select(func.count()).where(LedgerTransfer.code == "payout.start"))
        assert stored == len(ok)
        assert await check_invariants(s) == []  # counters = sums of transfers: none lost
    await engine.dispose()


async def test_concurrent_writers_on_hot_and_plain_accounts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as s:
        source = await make_account(s, "asset", name="clearing")
        hot = await make_account(s, "revenue", shards=8, name="fees")
        plain = await make_account(s, "revenue", name="plain")

    async def writer(n: int) -> None:
        for i in range(10):
            async with unit_of_work(sessions) as s:
                await create_transfer(s, spec(source, hot if i % 2 else plain, n + 1))

    await asyncio.gather(*(writer(n) for n in range(8)))
    async with sessions() as s:
        assert (await get_balance(s, hot.id)).credits_posted == 5 * sum(range(1, 9))
        assert (await get_balance(s, plain.id)).credits_posted == 5 * sum(range(1, 9))
        assert await check_invariants(s) == []


async def test_racing_posts_of_one_hold_resolve_it_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as s:
        wallet, escrow = await make_wallet(s), await make_wallet(s)
        await fund(s, wallet, 1_000)
        hold = await create_transfer(s, spec(wallet, escrow, 600, pending=True))

    async def post(transfer_id: str) -> str:
        try:
            async with unit_of_work(sessions) as s:
                await create_transfer(s, PostPending(transfer_id, hold.id))
        except KroError as exc:
            return exc.code
        return "ok"

    outcomes = await asyncio.gather(*(post(new_id("trf")) for _ in range(6)))
    assert sorted(outcomes) == ["ok"] + ["pending_transfer_not_pending"] * 5
    async with sessions() as s:
        assert (await get_balance(s, escrow.id)).credits_posted == 600
        assert await check_invariants(s) == []


@pytest.mark.parametrize("kind", ["transfer", "post"])
async def test_racing_identical_requests_create_one_transfer(
    sessions: async_sessionmaker[AsyncSession], kind: str
) -> None:
    async with unit_of_work(sessions) as s:
        wallet, payee = await make_wallet(s), await make_wallet(s)
        await fund(s, wallet, 2_000)
        hold = await create_transfer(s, spec(wallet, payee, 1_000, pending=True))
    request = spec(wallet, payee, 1_000) if kind == "transfer" else PostPending("trf_p", hold.id)

    async def send() -> str:
        async with unit_of_work(sessions) as s:
            return (await create_transfer(s, request)).id

    assert await asyncio.gather(*(send() for _ in range(5))) == [request.id] * 5
    async with sessions() as s:
        assert (await get_balance(s, wallet.id)).debits_posted == 1_000  # once, not five times
        assert await check_invariants(s) == []
