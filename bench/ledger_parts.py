"""Where a single ledger transfer's client CPU goes: CPU instructions per operation, counted
with callgrind (deterministic: the count does not depend on the machine's load).

Run::

    uv run python bench/ledger_parts.py --pg postgresql://postgres@127.0.0.1:5432/postgres

Needs ``valgrind``. Creates (and drops) its own database with 200 wallets, then runs each part
below in its own ``valgrind --tool=callgrind --instr-atstart=no`` process: 50 operations to warm
up, then collection is switched on (``callgrind_control -i on``) for ``--ops`` operations, one
task, one at a time. Prints instructions per operation.

- ``baseline``: bench/ledger.py's raw asyncpg transfer (pool, BEGIN … COMMIT);
- ``service``: ``create_transfers`` inside ``kro.kit.db.unit_of_work``;
- ``pool_tx``: the asyncpg pool's acquire, an empty transaction, release;
- ``uow_empty``: a ``unit_of_work`` that does nothing (session, commit, close);
- ``session``: creating and closing a session, nothing else;
- ``uow_begin``: a ``unit_of_work`` that takes its connection and begins (BEGIN … COMMIT).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parent))
import ledger as bench
from kro.kit.db import Base, session_factory, unit_of_work

PARTS = ("baseline", "service", "pool_tx", "uow_empty", "session", "uow_begin")
Op = Callable[[], Awaitable[None]]


def part(
    name: str, sessions: async_sessionmaker[AsyncSession], pool: Any, world: bench.World
) -> Op:
    """The operation measured for ``name``."""
    rng = random.Random(7)
    if name == "baseline":
        return bench.raw_op(pool, world, 1, rng)
    if name == "service":
        return bench.service_op(sessions, world, 1, rng)

    async def pool_tx() -> None:
        async with pool.acquire() as conn, conn.transaction():
            pass

    async def uow_empty() -> None:
        async with unit_of_work(sessions):
            pass

    async def session() -> None:
        sessions().sync_session.close()

    async def uow_begin() -> None:
        async with unit_of_work(sessions) as s:
            connection = await s.run_sync(Session.connection)
            await connection.connection.dbapi_connection._start_transaction()  # type: ignore[union-attr]

    return {"pool_tx": pool_tx, "uow_empty": uow_empty, "session": session, "uow_begin": uow_begin}[
        name
    ]


async def measure_here(dsn: str, name: str, ops: int) -> None:
    """Inside valgrind: warm up, switch collection on, run ``ops`` operations, switch off."""
    url = make_url(dsn)
    engine = create_async_engine(url.set(drivername="postgresql+asyncpg"), pool_size=2)
    pool = await asyncpg.create_pool(
        url.set(drivername="postgresql").render_as_string(False),
        min_size=2,
        max_size=2,
        reset=bench._no_reset,
    )
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT id, code FROM ledger_accounts")
    fees = next(r["id"] for r in rows if r["code"] == "platform:fees:NGN")
    wallets = [r["id"] for r in rows if r["code"].startswith("wallet:")]
    op = part(name, session_factory(engine), pool, bench.World(wallets, fees, {fees: 16}))
    for _ in range(50):
        await op()
    # Blocking on purpose: nothing may run until callgrind has switched collection on.
    control = ["callgrind_control", "-i"]
    subprocess.run([*control, "on", str(os.getpid())], capture_output=True, check=False)  # noqa: ASYNC221
    for _ in range(ops):
        await op()
    subprocess.run([*control, "off", str(os.getpid())], capture_output=True, check=False)  # noqa: ASYNC221
    await pool.close()
    await engine.dispose()


def count(dsn: str, name: str, ops: int) -> int:
    """Instructions per operation of ``name``, from a callgrind run of this script."""
    out = Path(f"/tmp/ledger_parts.{name}.{os.getpid()}.out")
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        __file__,
        "--inside",
        name,
        "--dsn",
        dsn,
        "--ops",
        str(ops),
    ]
    run = subprocess.run(command, capture_output=True, text=True, check=True)
    out.unlink(missing_ok=True)
    collected = re.search(r"Collected : (\d+)", run.stderr)
    if collected is None:
        raise RuntimeError(f"callgrind printed no count for {name}:\n{run.stderr[-2000:]}")
    return int(collected.group(1)) // ops


async def prepare(admin_dsn: str, name: str) -> str:
    """A new database with the ledger's tables and 200 funded wallets; its DSN."""
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = make_url(admin_dsn).set(database=name).render_as_string(False)
    engine = create_async_engine(make_url(dsn).set(drivername="postgresql+asyncpg"))
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=bench.TABLES))
    await bench.build_world(session_factory(engine), 200)
    await engine.dispose()
    return dsn


async def drop(admin_dsn: str, name: str) -> None:
    """Drop the database made by :func:`prepare`."""
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="postgresql://user@host:port/db (admin)")
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--inside", choices=PARTS, help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        asyncio.run(measure_here(args.dsn, args.inside, args.ops))
        return
    if not args.pg:
        parser.error("--pg is required")
    admin_dsn = make_url(args.pg).set(drivername="postgresql").render_as_string(False)
    name = f"kro_bench_{uuid.uuid4().hex[:8]}"
    dsn = asyncio.run(prepare(admin_dsn, name))
    try:
        print(f"CPU instructions per operation (callgrind, {args.ops} operations each)")
        for each in PARTS:
            print(f"{each:<12}{count(dsn, each, args.ops):>12,}")
    finally:
        asyncio.run(drop(admin_dsn, name))


if __name__ == "__main__":
    main()
