"""The ledger's SQL, as pre-built Core statements run on the session's connection.

These functions are synchronous: :mod:`kro.ledger.posting` runs a whole batch inside one
``AsyncSession.run_sync`` call, so the hot path pays for one greenlet hop, not one per
statement, and no ORM unit of work (see the module docstring of :mod:`kro.ledger.service`).

Every counter change is an atomic ``UPDATE … SET x = x + :d`` (or, for shard rows, an upsert
adding the delta): nothing is read under ``SELECT … FOR UPDATE`` first. The statements of one
batch touch rows in a fixed global order — pending transfers, then account rows by id, then
shard rows by (account id, shard) — so two batches cannot deadlock each other.
"""

from __future__ import annotations

import typing
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Insert,
    Select,
    String,
    Table,
    bindparam,
    cast,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from kro.ledger.models import LedgerAccount, LedgerAccountShard, LedgerTransfer
from kro.ledger.planning import AccountState, Delta

accounts = typing.cast(Table, LedgerAccount.__table__)
shards = typing.cast(Table, LedgerAccountShard.__table__)
transfers = typing.cast(Table, LedgerTransfer.__table__)

COUNTERS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
_DELTA_PARAMS = dict(zip(COUNTERS, ("d_dp", "d_cp", "d_dq", "d_cq"), strict=True))
_SAVEPOINT = "kro_ledger_batch"

_ACCOUNT_STATE = select(
    accounts.c.id,
    accounts.c.currency,
    accounts.c.debits_must_not_exceed_credits,
    accounts.c.credits_must_not_exceed_debits,
    accounts.c.balance_shards,
    *(accounts.c[name] for name in COUNTERS),
)

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


@dataclass(frozen=True, slots=True)
class _Statements:
    """Statements whose SQL differs by database, built once per dialect."""

    select_accounts: Select[Any]
    insert_transfers: Insert
    upsert_shards: Insert
    insert_account: Insert


_BY_DIALECT: dict[str, _Statements] = {}


def statements(dialect: str) -> _Statements:
    """The dialect-specific statements for ``dialect`` (``postgresql`` or ``sqlite``)."""
    found = _BY_DIALECT.get(dialect)
    if found is None:
        found = _BY_DIALECT[dialect] = _build(dialect)
    return found


def _build(dialect: str) -> _Statements:
    if dialect == "postgresql":
        # = ANY(array): one SQL text for any number of ids (one prepared statement).
        ids = bindparam("ids", type_=postgresql.ARRAY(String))
        by_id = _ACCOUNT_STATE.where(accounts.c.id == func.any(ids))
        insert: Any = postgresql.insert
    elif dialect == "sqlite":
        by_id = _ACCOUNT_STATE.where(accounts.c.id.in_(bindparam("ids", expanding=True)))
        insert = sqlite.insert
    else:
        raise NotImplementedError(f"ledger: unsupported database {dialect!r}")
    upsert = insert(shards)
    return _Statements(
        select_accounts=by_id,
        insert_transfers=insert(transfers),
        upsert_shards=upsert.on_conflict_do_update(
            index_elements=["account_id", "shard"],
            set_={name: shards.c[name] + upsert.excluded[name] for name in COUNTERS},
        ),
        insert_account=insert(accounts).on_conflict_do_nothing(index_elements=["code"]),
    )


@contextmanager
def savepoint(conn: Connection) -> Iterator[None]:
    """Run the block in a SAVEPOINT: released on success, rolled back on any exception.

    Issued directly rather than through ``Session.begin_nested()``, which costs several
    times more on the hot path; the block writes through Core only, so there is no ORM
    state the session would need to roll back with it.
    """
    conn.exec_driver_sql(f"SAVEPOINT {_SAVEPOINT}")
    try:
        yield
    except BaseException:
        conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        raise
    conn.exec_driver_sql(f"RELEASE SAVEPOINT {_SAVEPOINT}")


def load_accounts(conn: Connection, ids: Collection[str]) -> dict[str, AccountState]:
    """Account rows by id (no lock: the write statements enforce the limits)."""
    result = conn.execute(statements(conn.dialect.name).select_accounts, {"ids": list(ids)})
    return {row[0]: AccountState(*row) for row in result}


def resolve_pendings(conn: Connection, resolutions: Mapping[str, tuple[str, int]]) -> bool:
    """Mark holds posted/voided, only if still pending; False if another writer got there."""
    for pending_id in sorted(resolutions):
        status, posted = resolutions[pending_id]
        result = conn.execute(
            _RESOLVE_PENDING, {"p_id": pending_id, "p_status": status, "p_posted": posted}
        )
        if result.rowcount != 1:
            return False
    return True


def insert_transfers(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new transfer rows; an id that exists raises IntegrityError."""
    conn.execute(statements(conn.dialect.name).insert_transfers, list(rows))


def apply_deltas(
    conn: Connection,
    row_deltas: Mapping[str, Delta],
    shard_deltas: Mapping[tuple[str, int], Delta],
) -> None:
    """Add the deltas to account rows (by id) then to shard rows (by account, shard).

    A flagged account that would pass its limit fails its CHECK constraint: IntegrityError.
    """
    if row_deltas:
        params = [{"d_id": i, **row_deltas[i].params()} for i in sorted(row_deltas)]
        conn.execute(_ADD_TO_ACCOUNT, params)
    if shard_deltas:
        rows = [
            {"account_id": a, "shard": s, **_columns(shard_deltas[(a, s)])}
            for a, s in sorted(shard_deltas)
        ]
        conn.execute(statements(conn.dialect.name).upsert_shards, rows)


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


def expire_due(conn: Connection, now: datetime, limit: int) -> list[tuple[str, str, str, int]]:
    """Mark up to ``limit`` holds with ``expires_at`` ≤ ``now`` expired; returns them as
    (id, debit account, credit account, amount). PostgreSQL skips holds that another
    transaction has locked (it is posting, voiding or expiring them)."""
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
    stmt = (
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
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(stmt)]
