"""Writes deferred to the moment a transaction needs its connection: on PostgreSQL, all of them
in one statement.

A request that records its outcome at the end — a payment, its events, the webhook event, the
stored idempotent response — would otherwise send ``BEGIN``, one statement per write and
``COMMIT``: six round trips, each with its SQLAlchemy and asyncpg overhead. Deferred, those
writes wait in the session until either

- the session begins a transaction on a connection (any statement, ``session.connection()``,
  an ORM flush): they are written first, in order, on that connection; or
- the session commits without one: on PostgreSQL they are then sent as **one** statement of
  data-modifying CTEs in autocommit — a single statement is atomic, so all are written or none
  — which is one round trip instead of six (``WITH w0 AS (INSERT …), w1 AS (INSERT …), w2 AS
  (UPDATE … RETURNING 1) SELECT (SELECT count(*) FROM w2)``, compiled once per shape). On
  SQLite, which has no DML in CTEs, they run one by one in the transaction.

A rollback, or a session closed without committing, forgets them (as it would have undone
them). Only a session of :class:`DeferringSession` (:func:`kro.kit.db.session_factory`'s)
defers; on any other, on a session that already holds a connection or has unflushed ORM
changes, and inside a savepoint, the write runs at once. So what the session reads always
includes what it deferred, and deferred writes keep their order with everything else.

What may defer: writes whose failure the caller would not handle (new rows with new ids, an
update by key). A statement that may break a constraint the caller turns into a 4xx (a
unique reference) must run at once, where its ``IntegrityError`` can be caught.

Measured alone (2,000 transactions; a 21-column row, three 3-column rows, one row, one
update; 2026-12-06): 730 µs of client CPU as separate statements in a transaction, 254 µs as
one precompiled statement in autocommit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from sqlalchemy import (
    BindParameter,
    Connection,
    Dialect,
    Table,
    bindparam,
    event,
    func,
    insert,
    literal,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.visitors import replacement_traverse

_QUEUE = "kro.deferred.writes"  # session.info: the writes waiting
_CONNECTED = "kro.deferred.connected"  # session.info: its transaction holds a connection


class DeferringSession(Session):
    """The platform's ORM session: one that can hold :func:`insert_later` and
    :func:`execute_later` writes (the listeners below act on this class only)."""


@dataclass(frozen=True, slots=True)
class _Write:
    """``rows`` for ``table`` (an insert), or one ``params`` dict for ``statement``."""

    table: Table | None
    statement: UpdateBase | None
    params: Sequence[dict[str, Any]]
    on_rowcount: Callable[[int], None] | None

    def shape(self) -> tuple[Any, ...]:
        first = self.params[0]
        target = self.table if self.table is not None else self.statement
        return (target, tuple(first), len(self.params), self.on_rowcount is not None)


async def insert_later(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of column name → value, all with the same keys) into ``table``
    when the session next needs its connection, or commits (module docstring): at once if
    it cannot wait. Raises what the insert raises when it runs at once; deferred, a failure
    surfaces at the statement or commit that writes it."""
    if rows:
        await _write(session, _Write(table, None, list(rows), None))


async def execute_later(
    session: AsyncSession,
    statement: UpdateBase,
    params: dict[str, Any],
    *,
    on_rowcount: Callable[[int], None] | None = None,
) -> None:
    """Run the Core DML ``statement`` (named ``bindparam``\\ s) with ``params`` as
    :func:`insert_later` runs an insert; ``on_rowcount`` is called with the number of rows it
    changed, when it has run."""
    await _write(session, _Write(None, statement, [params], on_rowcount))


def pending(session: AsyncSession) -> bool:
    """Whether ``session`` holds deferred writes (it has written, though nothing was sent)."""
    return bool(session.info.get(_QUEUE))


async def _write(session: AsyncSession, write: _Write) -> None:
    sync = session.sync_session
    unflushed = bool(sync.new or sync.dirty or sync.deleted)
    # Inside a savepoint the write runs at once, so that rolling the savepoint back undoes it.
    can_wait = not (unflushed or session.info.get(_CONNECTED) or sync.in_nested_transaction())
    if isinstance(sync, DeferringSession) and can_wait:
        if not sync.in_transaction():
            sync.begin()  # no I/O: so that a rollback or close ends it (and the queue)
        session.info.setdefault(_QUEUE, []).append(write)
        return
    if unflushed:
        await session.flush()  # what was added before comes first
    result = await session.execute(*_statement_and_params(write))
    if write.on_rowcount is not None:
        write.on_rowcount(int(getattr(result, "rowcount", 0) or 0))


def _statement_and_params(write: _Write) -> tuple[Any, Any]:
    if write.table is not None:
        statement = _INSERTS.get(write.table)
        if statement is None:
            statement = _INSERTS[write.table] = insert(write.table)  # built once a table
        return statement, list(write.params)
    return write.statement, write.params[0]


_INSERTS: dict[Table, Any] = {}


# --------------------------------------------------------------------------- the listeners


@event.listens_for(DeferringSession, "after_begin")
def _on_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    session.info[_CONNECTED] = True
    writes = session.info.pop(_QUEUE, None)
    if writes:
        _flush(writes, connection)


@event.listens_for(DeferringSession, "before_commit")
def _on_commit(session: Session) -> None:
    if not session.info.get(_QUEUE) or session.info.get(_CONNECTED):
        return  # nothing waits, or it was written when the connection was taken
    if session.in_nested_transaction():
        return  # a savepoint's release: they belong to the transaction around it
    clean = not (session.new or session.dirty or session.deleted)
    if clean and session.get_bind().dialect.name == "postgresql":
        # One statement and nothing else in this transaction: autocommit, no BEGIN/COMMIT.
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    else:
        session.connection()  # after_begin writes them


@event.listens_for(DeferringSession, "after_transaction_end")
def _on_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CONNECTED, None)
        session.info.pop(_QUEUE, None)  # rolled back, or closed without a commit


def _flush(writes: list[_Write], connection: Connection) -> None:
    dialect = connection.dialect
    if dialect.name != "postgresql":
        for write in writes:
            result = connection.execute(*_statement_and_params(write))
            if write.on_rowcount is not None:
                write.on_rowcount(int(result.rowcount or 0))
        return
    combined = _combined(tuple(w.shape() for w in writes), writes, dialect)
    args = combined.arguments(writes)
    row = connection.exec_driver_sql(combined.sql, args).one()
    counted = (w for w in writes if w.on_rowcount is not None)
    for write, count in zip(counted, row, strict=False):
        assert write.on_rowcount is not None
        write.on_rowcount(int(count))


# --------------------------------------------------------------------------- one statement


@dataclass(frozen=True, slots=True)
class _Combined:
    """The compiled statement of one shape of writes: its SQL with ``$n`` placeholders and,
    per placeholder, where its value comes from and the bind processor of its type."""

    sql: str
    slots: tuple[tuple[int, int, Any, Callable[[Any], Any] | None], ...]
    """``(write, row, key, processor)``; a value of the statement's own (``values(status=
    "done")``) is ``(-1, 0, value, processor)``."""

    def arguments(self, writes: Sequence[_Write]) -> tuple[Any, ...]:
        values = []
        for index, row, key, process in self.slots:
            value = key if index < 0 else writes[index].params[row][key]
            values.append(value if process is None or value is None else process(value))
        return tuple(values)


_COMBINED: LRUCache[tuple[Any, ...], _Combined] = LRUCache(maxsize=256)


def _combined(shape: tuple[Any, ...], writes: Sequence[_Write], dialect: Dialect) -> _Combined:
    """The statement for writes of this ``shape``, built and compiled once: SQLAlchemy does
    not cache a multi-row INSERT … VALUES, and compiling it anew cost more than the round
    trips it saves."""
    found = _COMBINED.get(shape)
    if found is not None:
        return found
    sources: dict[str, tuple[int, int, Any]] = {}
    ctes: list[Any] = []
    counted: list[Any] = []
    for index, write in enumerate(writes):
        statement: Any
        if write.table is not None:
            table = write.table
            rows = []
            for number, params in enumerate(write.params):
                row = {}
                for key in params:
                    name = f"w{index}_{number}_{key}"
                    sources[name] = (index, number, key)
                    row[key] = bindparam(name, type_=table.c[key].type)
                rows.append(row)
            statement = insert(table).values(rows)
        else:
            assert write.statement is not None
            own: Any = write.statement
            statement = replacement_traverse(own, {}, _renamer(index, sources))
        if write.on_rowcount is not None:
            statement = statement.returning(literal_column("1"))
        cte = statement.cte(f"w{index}")
        ctes.append(cte)
        if write.on_rowcount is not None:
            counted.append(select(func.count()).select_from(cte).scalar_subquery())
    compiled = select(*(counted or [literal(1)])).add_cte(*ctes).compile(dialect=dialect)
    slots = []
    for name in compiled.positiontup or ():
        bound = compiled.binds[name]
        source = sources.get(name) or (-1, 0, bound.effective_value)
        process = bound.type.dialect_impl(dialect).bind_processor(dialect)
        slots.append((*source, process))
    made = _COMBINED[shape] = _Combined(str(compiled), tuple(slots))
    return made


def _renamer(index: int, sources: dict[str, tuple[int, int, Any]]) -> Callable[..., Any]:
    def rename(element: Any, **_: Any) -> BindParameter[Any] | None:
        if not isinstance(element, BindParameter) or not element.required:
            return None  # a value of the statement's own stays as it is
        name = f"w{index}_0_{element.key}"
        sources[name] = (index, 0, element.key)
        return bindparam(name, type_=element.type)

    return rename
