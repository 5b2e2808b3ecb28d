"""The ledger's SQL: pre-built Core statements, run by a store bound to the session's connection.

Two stores run the same statements:

- :class:`CoreStore` executes them through SQLAlchemy Core (SQLite, or PostgreSQL on another
  driver);
- :class:`AsyncpgStore` (PostgreSQL on asyncpg, production) compiles each statement once to
  SQL and runs it on the session's asyncpg connection, inside the session's transaction.
  SQLAlchemy's per-execution work costs about 60 µs a statement on top of the driver's 40 µs
  (measured); on a transfer that is five statements, about half of the client's CPU.

Every counter change is an atomic ``UPDATE … SET x = x + :d`` (or, for shard rows, an upsert
adding the delta): nothing is read under ``SELECT … FOR UPDATE`` first. The statements of one
batch touch rows in a fixed global order — pending transfers, then account rows by id, then
shard rows by (account id, shard) — so two batches cannot deadlock each other.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import (
    BigInteger,
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
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import ClauseElement, Executable

from kro.ledger.models import LedgerAccount, LedgerAccountShard, LedgerTransfer
from kro.ledger.planning import AccountState, Delta

accounts = typing.cast(Table, LedgerAccount.__table__)
shards = typing.cast(Table, LedgerAccountShard.__table__)
transfers = typing.cast(Table, LedgerTransfer.__table__)

COUNTERS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
TRANSFER_COLUMNS = tuple(c.key for c in transfers.columns)
_SHARD_COLUMNS = ("account_id", "shard", *COUNTERS)
_DELTA_PARAMS = dict(zip(COUNTERS, ("d_dp", "d_cp", "d_dq", "d_cq"), strict=True))
_SAVEPOINT = "kro_ledger_batch"
_PREPARED = "kro.ledger.prepared"  # key of the prepared statements in a pool entry's info
_SAVEPOINT_SQL = f"SAVEPOINT {_SAVEPOINT}"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT"


def can_begin_directly(adapter: Any) -> bool:
    """True if SQLAlchemy's asyncpg adapter can be asked to BEGIN its transaction itself.

    It begins lazily, before the first statement it executes; the ledger's statements bypass
    it, so the first one asks it to begin. ``_start_transaction`` is that step (SQLAlchemy
    2.0 and 2.1); were it to change, the ledger falls back to a Core execution, which begins
    the same way but slower (``tests/ledger/test_store.py`` notices).
    """
    return getattr(adapter, "_transaction", False) is None and callable(
        getattr(adapter, "_start_transaction", None)
    )


class WriteConflict(Exception):
    """A write met a constraint: an id that exists, a hold resolved meanwhile, or a balance
    limit (CHECK) crossed because of a concurrent writer. The batch is re-run carefully."""


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


async def store_for(session: AsyncSession) -> CoreStore:
    """The store for the session's connection (joining its transaction)."""
    # The session's own Connection, without the AsyncConnection proxy the PostgreSQL store
    # rarely needs (about 16k CPU instructions a batch, measured).
    connection: Connection = await session.run_sync(Session.connection)
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "asyncpg":
        return AsyncpgStore(session, connection.connection)
    return CoreStore(await session.connection())


class CoreStore:
    """The ledger's statements executed through SQLAlchemy Core on ``conn``."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.sql = statements(conn.dialect.name)

    async def connection(self) -> AsyncConnection:
        """The session's connection, as SQLAlchemy Core runs statements on it."""
        return self._conn

    def savepoint(self) -> _Savepoint:
        """``async with store.savepoint():`` runs the block in a SAVEPOINT, released on
        success and rolled back on any exception.

        Issued directly rather than through ``AsyncSession.begin_nested()``, which costs
        several times more; the block writes through Core only, so there is no ORM state the
        session would have to roll back with it.
        """
        return _Savepoint(self)

    async def savepoint_start(self) -> None:
        """Send ``SAVEPOINT`` (the session's transaction begins first if it has not yet)."""
        await (await self.connection()).exec_driver_sql(_SAVEPOINT_SQL)

    async def savepoint_end(self, verb: str) -> None:
        """Send ``RELEASE SAVEPOINT`` or ``ROLLBACK TO SAVEPOINT`` (``verb``)."""
        await (await self.connection()).exec_driver_sql(f"{verb} {_SAVEPOINT}")

    async def load_accounts(self, ids: Collection[str]) -> dict[str, AccountState]:
        """Account rows by id (no lock: the write statements enforce the limits)."""
        conn = await self.connection()
        result = await conn.execute(self.sql.select_accounts, {"ids": list(ids)})
        return {row[0]: AccountState._make(row) for row in result}

    async def resolve_pendings(self, resolutions: Mapping[str, tuple[str, int]]) -> None:
        """Mark holds posted/voided, only if still pending (else :class:`WriteConflict`)."""
        for pending_id in sorted(resolutions):
            status, posted = resolutions[pending_id]
            params = {"p_id": pending_id, "p_status": status, "p_posted": posted}
            if await self._resolve_one(params) != 1:
                raise WriteConflict(f"{pending_id} is no longer pending")

    async def _resolve_one(self, params: dict[str, Any]) -> int:
        """Rows updated by the conditional UPDATE of one hold (0 or 1)."""
        result = await (await self.connection()).execute(_RESOLVE_PENDING, params)
        return int(result.rowcount)

    async def insert_transfers(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert new transfer rows (column → value); an id that exists is a conflict."""
        await self._write(self.sql.insert_transfers, list(rows))

    async def apply_deltas(
        self, row_deltas: Mapping[str, Delta], shard_deltas: Mapping[tuple[str, int], Delta]
    ) -> None:
        """Add deltas to account rows (by id), then to shard rows (by account, shard).

        A flagged account pushed past its limit fails its CHECK: :class:`WriteConflict`.
        """
        if row_deltas:
            await self._write(_ADD_TO_ACCOUNT, _account_params(row_deltas))
        if shard_deltas:
            await self._write(self.sql.upsert_shards, _shard_params(shard_deltas))

    async def _write(self, stmt: Executable, params: list[dict[str, Any]]) -> None:
        try:
            await (await self.connection()).execute(stmt, params)
        except IntegrityError as exc:
            raise WriteConflict(str(exc.orig)) from exc

    async def expire_due(self, now: datetime, limit: int) -> list[tuple[str, str, str, int]]:
        """Mark up to ``limit`` holds with ``expires_at`` ≤ ``now`` expired; returns them as
        (id, debit account, credit account, amount). PostgreSQL skips holds that another
        transaction has locked (it is posting, voiding or expiring them)."""
        result = await (await self.connection()).execute(_expire_statement(now, limit))
        return [(r[0], r[1], r[2], r[3]) for r in result]


class _Savepoint:
    """The context manager of :meth:`CoreStore.savepoint` (a class: cheaper than a
    generator-based one, and it runs on every batch)."""

    __slots__ = ("store",)

    def __init__(self, store: CoreStore) -> None:
        self.store = store

    async def __aenter__(self) -> None:
        await self.store.savepoint_start()

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        await self.store.savepoint_end("RELEASE SAVEPOINT" if kind is None else _ROLLBACK_TO)


class AsyncpgStore(CoreStore):
    """The same statements, compiled once to PostgreSQL SQL and run on the asyncpg connection
    that SQLAlchemy holds for the session (so inside its transaction).

    ``connection`` is the session's pooled DBAPI connection: SQLAlchemy's asyncpg adapter
    (``dbapi_connection``) around the asyncpg connection (``driver_connection``).

    The hot statements run as asyncpg prepared statements kept for the life of the DBAPI
    connection (in the pool entry's ``info``, which SQLAlchemy clears when it replaces the
    connection): the same messages on the wire as ``Connection.fetch()`` / ``executemany()``
    with asyncpg's statement cache, without that path's per-call work (cache lookup, retry
    wrapper, logging hooks), about 15-30k CPU instructions a statement (measured).
    """

    def __init__(self, session: AsyncSession, connection: PoolProxiedConnection) -> None:
        self.session = session
        self.sql = _POSTGRESQL
        self.adapter: Any = connection.dbapi_connection
        self.driver: asyncpg.Connection = connection.driver_connection
        prepared = connection.info.get(_PREPARED)
        if prepared is None:
            prepared = connection.info[_PREPARED] = {}
        self.prepared: dict[str, asyncpg.prepared_stmt.PreparedStatement] = prepared

    async def connection(self) -> AsyncConnection:
        return await self.session.connection()

    async def savepoint_start(self) -> None:
        if not self.driver.is_in_transaction():
            if not can_begin_directly(self.adapter):
                await super().savepoint_start()  # SQLAlchemy sends BEGIN, then the SAVEPOINT
                return
            # The BEGIN that SQLAlchemy's adapter sends lazily before the session's first
            # statement, sent by the adapter itself so that the session's COMMIT or ROLLBACK
            # ends it; without a Core execution around it (about 60 µs).
            await self.adapter._start_transaction()
        await self.driver.execute(_SAVEPOINT_SQL)

    async def savepoint_end(self, verb: str) -> None:
        await self.driver.execute(f"{verb} {_SAVEPOINT}")

    async def load_accounts(self, ids: Collection[str]) -> dict[str, AccountState]:
        sql = _PG.select_accounts.sql
        statement = self.prepared.get(sql) or await self._prepare(sql)
        try:
            rows = await statement.fetch(list(ids))
        except BaseException:
            self.prepared.clear()  # whatever went wrong, prepare afresh next time
            raise
        return {row[0]: AccountState._make(row) for row in rows}

    async def _resolve_one(self, params: dict[str, Any]) -> int:
        compiled = _PG.resolve_pending
        status = await self.driver.execute(compiled.sql, *compiled.args(params))
        return int(status.rsplit(" ", 1)[1])  # "UPDATE 1"

    async def insert_transfers(self, rows: Sequence[dict[str, Any]]) -> None:
        args = [_PG.insert_transfers.args(_json_metadata(row)) for row in rows]
        await self._write_many(_PG.insert_transfers.sql, args)

    async def apply_deltas(
        self, row_deltas: Mapping[str, Delta], shard_deltas: Mapping[tuple[str, int], Delta]
    ) -> None:
        # Positional arguments built directly (layouts checked where _PG is built).
        if row_deltas:
            rows = [(*row_deltas[i].counters(), i) for i in sorted(row_deltas)]
            await self._write_many(_PG.add_to_account.sql, rows)
        if shard_deltas:
            keys = sorted(shard_deltas)
            shard_rows = [(a, s, *shard_deltas[(a, s)].counters()) for a, s in keys]
            await self._write_many(_PG.upsert_shards.sql, shard_rows)

    async def _write_many(self, sql: str, args: Sequence[tuple[Any, ...]]) -> None:
        statement = self.prepared.get(sql) or await self._prepare(sql)
        try:
            await statement.executemany(args)  # pipelined: one round trip
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise WriteConflict(str(exc)) from exc
        except BaseException:
            self.prepared.clear()  # e.g. a plan invalidated by a schema change
            raise

    async def _prepare(self, sql: str) -> asyncpg.prepared_stmt.PreparedStatement:
        statement = self.prepared[sql] = await self.driver.prepare(sql)
        return statement


_ASYNCPG = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement compiled for asyncpg: SQL text and how to order its parameters."""

    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]  # values of literals SQLAlchemy turned into parameters
    pick: Callable[[Mapping[str, Any]], tuple[Any, ...]]  # parameters in ``names`` order

    @classmethod
    def of(cls, stmt: ClauseElement, columns: Sequence[str] | None = None) -> _Compiled:
        compiled = typing.cast(SQLCompiler, stmt.compile(dialect=_ASYNCPG, column_keys=columns))
        names = tuple(compiled.positiontup or ())
        fixed = {n: compiled.binds[n].value for n in names if not compiled.binds[n].required}
        pick = itemgetter(*names) if len(names) > 1 else lambda p: tuple(p[n] for n in names)
        return cls(compiled.string, names, fixed, pick)

    def args(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The statement's positional arguments, from ``params`` by name."""
        return self.pick({**params, **self.fixed} if self.fixed else params)


@dataclass(frozen=True, slots=True)
class _PgStatements:
    select_accounts: _Compiled
    insert_transfers: _Compiled
    add_to_account: _Compiled
    upsert_shards: _Compiled
    resolve_pending: _Compiled


_POSTGRESQL = statements("postgresql")
_PG = _PgStatements(
    select_accounts=_Compiled.of(_POSTGRESQL.select_accounts),
    insert_transfers=_Compiled.of(_POSTGRESQL.insert_transfers, TRANSFER_COLUMNS),
    add_to_account=_Compiled.of(_ADD_TO_ACCOUNT),
    upsert_shards=_Compiled.of(_POSTGRESQL.upsert_shards, _SHARD_COLUMNS),
    resolve_pending=_Compiled.of(_RESOLVE_PENDING),
)
if _PG.add_to_account.names != (*_DELTA_PARAMS.values(), "d_id") or (
    _PG.upsert_shards.names != _SHARD_COLUMNS
):  # AsyncpgStore.apply_deltas passes (counters…, id) and (id, shard, counters…)
    raise RuntimeError("ledger: unexpected parameter order in the compiled delta statements")


def _json_metadata(row: dict[str, Any]) -> dict[str, Any]:
    """SQLAlchemy's JSON type serialises for the driver; here we do (None stays SQL NULL)."""
    metadata = row["metadata"]
    return row if metadata is None else {**row, "metadata": json.dumps(metadata)}


def _account_params(deltas: Mapping[str, Delta]) -> list[dict[str, Any]]:
    return [{"d_id": i, **deltas[i].params()} for i in sorted(deltas)]


def _shard_params(deltas: Mapping[tuple[str, int], Delta]) -> list[dict[str, Any]]:
    return [{"account_id": a, "shard": s, **_columns(deltas[(a, s)])} for a, s in sorted(deltas)]


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


def _expire_statement(now: datetime, limit: int) -> Any:
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
