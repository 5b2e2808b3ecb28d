"""Ledger throughput on PostgreSQL: kro.ledger.service against a raw asyncpg baseline.

Run::

    uv run python bench/ledger.py --pg postgresql://postgres@127.0.0.1:5432/postgres

Creates (and drops) its own database. Two workloads, each run by ``--tasks`` concurrent
asyncio tasks, every operation its own transaction:

- ``single``: one transfer per transaction;
- ``batch``: an atomic batch of ``--batch`` transfers per transaction.

Transfers debit a random wallet (``debits_must_not_exceed_credits``) and credit either another
wallet or the platform fee revenue account (hot, sharded), alternately. The baseline is the
same SQL hand-written on asyncpg, statement for statement (begin, savepoint, account read,
pipelined INSERTs of the transfers, pipelined counter UPDATEs in id order, shard upsert,
release, commit), with the same limit pre-check in Python. Results are printed as
transfers per second, and the service as a percentage of the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from kro.kit.db import Base, create_engine, session_factory, unit_of_work
from kro.kit.ids import new_id
from kro.ledger import chart, store
from kro.ledger.service import TransferSpec, check_invariants, create_transfers

TABLES = [store.accounts, store.shards, store.transfers]
Move = tuple[str, str, int]  # debit account id, credit account id, amount (kobo)


@dataclass
class World:
    wallets: list[str]
    fees: str
    shards: dict[str, int]  # account id -> balance_shards


def moves(world: World, rng: random.Random, size: int) -> list[Move]:
    """``size`` transfers: random wallet → (another wallet | the hot fee account)."""
    out = []
    for i in range(size):
        debit = rng.choice(world.wallets)
        credit = world.fees if i % 2 else rng.choice(world.wallets)
        while credit == debit:
            credit = rng.choice(world.wallets)
        out.append((debit, credit, rng.randint(1, 10_000)))
    return out


# --------------------------------------------------------------------------- the service


def service_op(
    sessions: async_sessionmaker[AsyncSession], world: World, size: int, rng: random.Random
) -> Callable[[], Awaitable[None]]:
    async def op() -> None:
        specs = [
            TransferSpec(new_id("trf"), d, c, amount, "NGN", "bench")
            for d, c, amount in moves(world, rng, size)
        ]
        async with unit_of_work(sessions) as session:
            await create_transfers(session, specs)

    return op


# --------------------------------------------------------------------------- raw asyncpg

SELECT_ACCOUNTS = (
    "SELECT id, currency, debits_must_not_exceed_credits, credits_must_not_exceed_debits, "
    "balance_shards, debits_posted, credits_posted, debits_pending, credits_pending "
    "FROM ledger_accounts WHERE id = ANY($1::varchar[])"
)
INSERT_TRANSFER = (
    "INSERT INTO ledger_transfers (id, kind, debit_account_id, credit_account_id, amount, "
    "currency, pending_id, status, amount_posted, expires_at, code, reference, batch_id, "
    "metadata, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
)
UPDATE_ACCOUNT = (
    "UPDATE ledger_accounts SET debits_posted = debits_posted + $1, "
    "credits_posted = credits_posted + $2, debits_pending = debits_pending + $3, "
    "credits_pending = credits_pending + $4 WHERE id = $5"
)
UPSERT_SHARDS = (
    "INSERT INTO ledger_account_shards (account_id, shard, debits_posted, credits_posted, "
    "debits_pending, credits_pending) VALUES ($1, $2, $3, $4, $5, $6) "
    "ON CONFLICT (account_id, shard) DO UPDATE SET "
    "debits_posted = ledger_account_shards.debits_posted + excluded.debits_posted, "
    "credits_posted = ledger_account_shards.credits_posted + excluded.credits_posted, "
    "debits_pending = ledger_account_shards.debits_pending + excluded.debits_pending, "
    "credits_pending = ledger_account_shards.credits_pending + excluded.credits_pending"
)


async def raw_transfers(conn: asyncpg.Connection, batch: list[Move], world: World) -> None:
    """The service's SQL for a batch of normal transfers, by hand."""
    now, batch_id = datetime.now(UTC), new_id("bat")
    ids = [new_id("trf") for _ in batch]
    async with conn.transaction():
        await conn.execute("SAVEPOINT ledger")
        account_ids = list({a for d, c, _ in batch for a in (d, c)})
        accounts = {r["id"]: r for r in await conn.fetch(SELECT_ACCOUNTS, account_ids)}
        rows: list[tuple[Any, ...]] = []
        deltas: dict[str, list[int]] = {}
        shard_deltas: dict[tuple[str, int], list[int]] = {}
        shard_key = zlib.crc32(ids[0].encode())
        for transfer_id, (debit, credit, amount) in zip(ids, batch, strict=True):
            row = (transfer_id, "normal", debit, credit, amount, "NGN", None, None, None, None)
            rows.append((*row, "bench", None, batch_id, None, now))
            for account_id, slot in ((debit, 0), (credit, 1)):
                shards = accounts[account_id]["balance_shards"]
                target = (
                    deltas.setdefault(account_id, [0, 0, 0, 0])
                    if shards == 1
                    else shard_deltas.setdefault((account_id, shard_key % shards), [0, 0, 0, 0])
                )
                target[slot] += amount
        for account_id, d in deltas.items():
            a = accounts[account_id]
            if a["debits_must_not_exceed_credits"] and (
                a["debits_posted"] + a["debits_pending"] + d[0] + d[2] > a["credits_posted"] + d[1]
            ):
                raise RuntimeError("insufficient funds")
        await conn.executemany(INSERT_TRANSFER, rows)
        await conn.executemany(UPDATE_ACCOUNT, [(*deltas[i], i) for i in sorted(deltas)])
        if shard_deltas:
            await conn.executemany(
                UPSERT_SHARDS, [(a, s, *shard_deltas[(a, s)]) for a, s in sorted(shard_deltas)]
            )
        await conn.execute("RELEASE SAVEPOINT ledger")


def raw_op(
    pool: asyncpg.Pool, world: World, size: int, rng: random.Random
) -> Callable[[], Awaitable[None]]:
    async def op() -> None:
        batch = moves(world, rng, size)
        async with pool.acquire() as conn:
            await raw_transfers(conn, batch, world)

    return op


# --------------------------------------------------------------------------- harness


async def _no_reset(conn: asyncpg.Connection) -> None:
    """Release a pooled connection without a reset query (asyncpg still rolls back an open
    transaction first): the service's pool sends nothing on check-in either."""


async def measure(
    op: Callable[[], Awaitable[None]], tasks: int, seconds: float, warmup: float
) -> float:
    """Operations per second over ``seconds``, after ``warmup`` seconds of the same load."""
    done, measuring, stop = 0, False, False

    async def worker() -> None:
        nonlocal done
        while not stop:
            await op()
            if measuring:
                done += 1

    workers = [asyncio.create_task(worker()) for _ in range(tasks)]
    await asyncio.sleep(warmup)
    measuring, start = True, time.perf_counter()
    await asyncio.sleep(seconds)
    measuring, elapsed = False, time.perf_counter() - start
    stop = True
    await asyncio.gather(*workers)
    return done / elapsed


async def build_world(sessions: async_sessionmaker[AsyncSession], wallets: int) -> World:
    async with unit_of_work(sessions) as s:
        clearing = await chart.ensure_provider_clearing(s, "paystack", "NGN")
        fees = await chart.ensure_platform_fees(s, "NGN")
        ids = [(await chart.ensure_wallet(s, f"usr_bench{i}", "NGN")).id for i in range(wallets)]
    for start in range(0, wallets, 500):
        async with unit_of_work(sessions) as s:
            await create_transfers(
                s,
                [
                    TransferSpec(new_id("trf"), clearing.id, w, 10**12, "NGN", "bench.fund")
                    for w in ids[start : start + 500]
                ],
            )
    return World(ids, fees.id, {fees.id: fees.balance_shards})


async def main(args: argparse.Namespace) -> None:
    name = f"kro_bench_{uuid.uuid4().hex[:8]}"
    admin_dsn = make_url(args.pg).set(drivername="postgresql").render_as_string(False)
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await run(args, make_url(args.pg).set(database=name))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def run(args: argparse.Namespace, url: Any) -> None:
    sa_url = url.set(drivername="postgresql+asyncpg").render_as_string(False)
    if args.engine == "kit":
        engine = create_engine(sa_url, pool_size=args.tasks)
    else:  # kit's settings without pool_pre_ping, like the baseline's asyncpg pool
        engine = create_async_engine(sa_url, pool_size=args.tasks, max_overflow=args.tasks)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=TABLES))
    sessions = session_factory(engine)
    world = await build_world(sessions, args.wallets)
    dsn = url.set(drivername="postgresql").render_as_string(False)
    # asyncpg's pool sends a reset query (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL) on
    # every release; SQLAlchemy's pool sends nothing when no transaction is open. Keep the
    # baseline to the service's statements.
    pool = await asyncpg.create_pool(dsn, min_size=args.tasks, max_size=args.tasks, reset=_no_reset)
    rng = random.Random(7)
    print(
        f"PostgreSQL, engine {args.engine}, {args.tasks} concurrent tasks, {args.wallets} wallets, "
        f"2 x {args.seconds:g}s per implementation and mode (A-B-B-A), "
        f"each after {args.warmup:g}s warm-up"
    )
    print(f"{'mode':<22}{'baseline tr/s':>15}{'service tr/s':>15}{'ratio':>9}")
    for mode, size in (("single", 1), (f"batch of {args.batch}", args.batch)):
        rates = {"baseline": 0.0, "service": 0.0}
        # A-B-B-A: drift of the machine during the run weighs on both sides alike.
        for impl in ("baseline", "service", "service", "baseline"):
            op = (
                raw_op(pool, world, size, rng)
                if impl == "baseline"
                else service_op(sessions, world, size, rng)
            )
            rates[impl] += await measure(op, args.tasks, args.seconds, args.warmup) * size / 2
        ratio = rates["service"] / rates["baseline"]
        print(f"{mode:<22}{rates['baseline']:>15,.0f}{rates['service']:>15,.0f}{ratio:>9.0%}")
    async with sessions() as s:
        problems = await check_invariants(s)
    print("invariants:", "ok" if not problems else problems[:5])
    await pool.close()
    await engine.dispose()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", required=True, help="postgresql://user@host:port/db (admin)")
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--wallets", type=int, default=2_000)
    parser.add_argument(
        "--engine",
        choices=["plain", "kit"],
        default="plain",
        help="plain: no pool pre-ping, like the baseline's pool (default); kit: "
        "kro.kit.db.create_engine, whose pool_pre_ping costs 3 round trips per checkout",
    )
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
