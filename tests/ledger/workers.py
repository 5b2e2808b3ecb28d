"""Code run in child processes by the concurrency tests (importable under ``spawn``)."""

from __future__ import annotations

import asyncio
from typing import Any

from kro.kit.db import create_engine, session_factory, unit_of_work
from kro.kit.ids import new_id
from kro.ledger.errors import InsufficientFunds
from kro.ledger.service import TransferSpec, create_transfers


def withdraw(
    url: str,
    accounts: dict[str, str],
    *,
    tasks: int,
    attempts: int,
    amount: int,
    fee: int,
    barrier: Any,
) -> dict[str, list[str]]:
    """Withdraw ``amount`` (+ ``fee``) from the wallet ``attempts`` times in each of ``tasks``
    concurrent tasks, each withdrawal its own transaction; returns ids that committed and the
    names of errors met."""
    barrier.wait()  # every process starts at once
    return asyncio.run(_withdraw(url, accounts, tasks, attempts, amount, fee))


async def _withdraw(
    url: str, accounts: dict[str, str], tasks: int, attempts: int, amount: int, fee: int
) -> dict[str, list[str]]:
    engine = create_engine(url, pool_size=tasks)
    sessions = session_factory(engine)
    done: dict[str, list[str]] = {"ok": [], "errors": []}

    async def one_task() -> None:
        for _ in range(attempts):
            batch = [
                TransferSpec(
                    new_id("trf"),
                    accounts["wallet"],
                    accounts["payouts"],
                    amount,
                    "NGN",
                    "payout.start",
                ),
                TransferSpec(
                    new_id("trf"), accounts["wallet"], accounts["fees"], fee, "NGN", "payout.fee"
                ),
            ]
            try:
                async with unit_of_work(sessions) as session:
                    await create_transfers(session, batch)
            except InsufficientFunds:
                done["errors"].append("insufficient_funds")
            except Exception as exc:  # reported to the test, which fails on it
                done["errors"].append(repr(exc))
            else:
                done["ok"].append(batch[0].id)

    await asyncio.gather(*(one_task() for _ in range(tasks)))
    await engine.dispose()
    return done
