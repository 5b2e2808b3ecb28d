"""The ledger's SQL on the hot path, as pre-built Core statements (no ORM unit of work).

Every counter change is an atomic ``UPDATE … SET x = x + :d`` (or, for shard rows, an upsert
adding the delta): nothing is read under ``SELECT … FOR UPDATE`` first. Statements of one
batch touch rows in a fixed global order — pending transfers, then account rows by id, then
shard rows by (account id, shard) — so two batches cannot deadlock each other.
"""

from __future__ import annotations

import typing
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Insert,
    Table,
    bindparam,
    cast,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kro.ledger.models import LedgerAccount, LedgerAccountShard, LedgerTransfer
from kro.ledger.planning import AccountState, Delta

accounts = typing.cast(Table, LedgerAccount.__table__)
shards = typing.cast(Table, LedgerAccountShard.__table__)
transfers = typing.cast(Table, LedgerTransfer.__table__)

COUNTERS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
_DELTA_PARAMS = dict(zip(COUNTERS, ("d_dp", "d_cp", "d_dq", "d_cq"), strict=True))

_SELECT_ACCOUNTS = select(
    accounts.c.id,
    accounts.c.currency,
    accounts.c.debits_must_not_exceed_credits,
    accounts.c.credits_must_not_exceed_debits,
    accounts.c.balance_shards,
    *(accounts.c[name] for name in COUNTERS),
).where(accounts.c.id.in_(bindparam("ids", expanding=True)))

_ADD_TO_ACCOUNT = (
    update(accounts)
    .where(accounts.c.id == bindparam("d_id"))
    .values(
        {
            name: accounts.c[name] + bindparam(p, type_=BigInteger)
            for name, p in _DELTA_PARAMS.items()
        }
    )
)

_RESOLVE_PENDING = (
    update(transfers)
    .where(transfers.c.id == bindparam("p_id"), transfers.c.status == "pending")
    .values(status=bindparam("p_status"), amount_posted=bindparam("p_posted"))
)


_Insert = postgresql.Insert | sqlite.Insert


def _dialect_insert(session: AsyncSession, table: Table) -> _Insert:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"ledger: unsupported database {name!r}")


class _Statements:
    """Dialect-specific statements, built once per dialect."""

    def __init__(self, insert_transfers: Insert, upsert_shards: Insert, insert_account: Insert):
        self.insert_transfers = insert_transfers
        self.upsert_shards = upsert_shards
        self.insert_account = insert_account


_BY_DIALECT: dict[str, _Statements] = {}


def statements(session: AsyncSession) -> _Statements:
    """The insert/upsert statements for the session's database."""
    name = session.get_bind().dialect.name
    found = _BY_DIALECT.get(name)
    if found is None:
        ins_t = _dialect_insert(session, transfers)
        ins_s = _dialect_insert(session, shards)
        ins_a = _dialect_insert(session, accounts)
        found = _Statements(
            insert_transfers=ins_t.on_conflict_do_nothing(index_elements=["id"]).returning(
                transfers.c.id
            ),
            upsert_shards=ins_s.on_conflict_do_update(
                index_elements=["account_id", "shard"],
                set_={name: shards.c[name] + ins_s.excluded[name] for name in COUNTERS},
            ),
            insert_account=ins_a.on_conflict_do_nothing(index_elements=["code"]),
        )
        _BY_DIALECT[name] = found
    return found


async def load_accounts(session: AsyncSession, ids: Collection[str]) -> dict[str, AccountState]:
    """Account rows by id (no lock: the write statements enforce the limits)."""
    result = await session.execute(_SELECT_ACCOUNTS, {"ids": list(ids)})
    return {row[0]: AccountState(*row) for row in result}


async def resolve_pendings(
    session: AsyncSession, resolutions: Mapping[str, tuple[str, int]]
) -> bool:
    """Mark holds posted/voided, only if still pending; False if another writer got there."""
    for pending_id in sorted(resolutions):
        status, posted = resolutions[pending_id]
        result = await session.execute(
            _RESOLVE_PENDING, {"p_id": pending_id, "p_status": status, "p_posted": posted}
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
    return True


async def insert_transfers(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert transfer rows, skipping ids that exist; returns the ids actually inserted."""
    result = await session.execute(statements(session).insert_transfers, list(rows))
    return set(result.scalars())


async def apply_deltas(
    session: AsyncSession,
    row_deltas: Mapping[str, Delta],
    shard_deltas: Mapping[tuple[str, int], Delta],
) -> None:
    """Add the deltas to account rows (by id) then shard rows (by account, shard).

    A flagged account that would pass its limit fails the CHECK constraint: IntegrityError.
    """
    if row_deltas:
        params = [{"d_id": i, **row_deltas[i].params()} for i in sorted(row_deltas)]
        await session.execute(_ADD_TO_ACCOUNT, params)
    if shard_deltas:
        rows = [
            {"account_id": a, "shard": s, **_columns(shard_deltas[(a, s)])}
            for a, s in sorted(shard_deltas)
        ]
        await session.execute(statements(session).upsert_shards, rows)


def _columns(delta: Delta) -> dict[str, int]:
    return {
        "debits_posted": delta.debits_posted,
        "credits_posted": delta.credits_posted,
        "debits_pending": delta.debits_pending,
        "credits_pending": delta.credits_pending,
    }


def _summed(column: str) -> ColumnElement[int]:
    shard_sum = func.coalesce(func.sum(shards.c[column]), 0)
    return cast(accounts.c[column] + shard_sum, BigInteger).label(column)


BALANCES = (
    select(
        accounts.c.id,
        accounts.c.code,
        accounts.c.currency,
        accounts.c.kind,
        accounts.c.owner_id,
        *(_summed(name) for name in COUNTERS),
    )
    .select_from(accounts.outerjoin(shards, shards.c.account_id == accounts.c.id))
    .group_by(accounts.c.id)
)
"""Each account with its counters summed over the account row and its shards."""


def expire_statement(now: datetime, limit: int) -> Any:
    """Mark up to ``limit`` holds whose ``expires_at`` ≤ ``now`` expired, returning them."""
    due = (
        transfers.c.kind == "pending",
        transfers.c.status == "pending",
        transfers.c.expires_at <= now,
    )
    claim = (
        select(transfers.c.id)
        .where(*due)
        .order_by(transfers.c.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (
        update(transfers)
        .where(transfers.c.id.in_(claim), *due)
        .values(status="expired")
        .returning(
            transfers.c.id,
            transfers.c.debit_account_id,
            transfers.c.credit_account_id,
            transfers.c.amount,
        )
    )
