"""Database plumbing: the declarative base, engines for SQLite and PostgreSQL, sessions.

One schema runs on both: SQLite (aiosqlite, WAL) as the embedded default, PostgreSQL
(asyncpg) in production and CI. Rules (DESIGN.md section 5):

- Services take an ``AsyncSession`` and only ``flush()``; the owner of the unit of work
  (request dependency, job runner, CLI) commits or rolls back via :func:`unit_of_work`.
- SQLite has one writer at a time; every transaction starts with ``BEGIN IMMEDIATE`` so that
  two writers queue on the busy timeout instead of failing on a lock upgrade.
- Timestamps are stored as aware UTC (:class:`UTCDateTime`), since SQLite drops the zone.
"""

from __future__ import annotations

import typing
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import BigInteger, DateTime, Dialect, MetaData, Table, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    AsyncSessionTransaction,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, make_transient_to_detached
from sqlalchemy.types import TypeDecorator

from kro.kit import deferred
from kro.kit.deferred import DeferringSession

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of the platform's own tables (the sandbox has its own)."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Minor-unit amounts can exceed 2**31 (₦21.5m in kobo), so money columns are BIGINT.
MinorUnits = BigInteger


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """An async engine for ``url`` with the settings each backend needs."""
    if is_sqlite(url):
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False}
        )
        _sqlite_setup(engine)
        return engine
    # No pool_pre_ping: on asyncpg it costs three round trips per checkout (it halved ledger
    # throughput in bench/ledger.py). Connections are recycled instead, and a connection that
    # died under us fails one request, which the client retries.
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
    )


def _sqlite_setup(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        conn.info[_WROTE] = False

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _on_statement(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        # Anything but a plain read counts as a write (a CTE may write: counted too). Savepoint
        # statements change no data (what a rolled-back savepoint wrote still counts).
        if not statement.lstrip()[:9].upper().startswith(_NOT_WRITES):
            conn.info[_WROTE] = True


_NOT_WRITES = ("SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")


_WROTE = "kro_wrote"
READ_ONLY_COMMIT = "kro.db.read_only_commit"
"""``session.info`` key set while :func:`released` commits a transaction that wrote nothing
(the job worker, which refuses a handler's commit, lets this one through)."""
_SAVEPOINTS = "kro.db.savepoints"  # session.info: the open Savepoints of savepoint()


class Savepoint:
    """A savepoint opened by :func:`savepoint`: ``transaction`` is the SQLAlchemy nested
    transaction to commit or roll back; :func:`released` may end it and open another one."""

    def __init__(self, transaction: AsyncSessionTransaction) -> None:
        self.transaction = transaction

    async def commit(self) -> None:
        await self.transaction.commit()

    async def rollback(self) -> None:
        await self.transaction.rollback()


@asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[Savepoint]:
    """Open a savepoint that :func:`released` may end around a provider call when nothing
    has been written (the owner commits or rolls back ``yielded.transaction`` at the end, as
    it would a ``begin_nested()``). Used by page forms (``kro.web.forms``)."""
    held = Savepoint(await session.begin_nested())
    stack: list[Savepoint] = session.info.setdefault(_SAVEPOINTS, [])
    stack.append(held)
    try:
        yield held
    finally:
        stack.remove(held)


@asynccontextmanager
async def released(session: AsyncSession) -> AsyncIterator[None]:
    """Around a call to another service (a payment provider): end ``session``'s transaction
    first if it has written nothing, so that no lock is held across the call (DESIGN.md §5).

    On SQLite every transaction takes the database's one write lock at ``BEGIN IMMEDIATE``,
    so even a transaction that only read would make every other writer wait for the provider;
    committing a transaction that wrote nothing changes no data, and the next statement
    begins a new one. A savepoint opened by :func:`savepoint` (a page form's) is ended with
    it and opened again when the call returns, so its owner can still roll back what is
    written after the call. A transaction that wrote (or holds unflushed changes), one inside
    any other savepoint, and every transaction on PostgreSQL (where reads take no lock) are
    left alone. Callers re-read and re-check what they rely on after the call, as they must
    anyway."""
    reopen = await _end_read_only(session)
    try:
        yield
    finally:
        for held in reopen:
            held.transaction = await session.begin_nested()


async def _end_read_only(session: AsyncSession) -> list[Savepoint]:
    """End the transaction as :func:`released` says; the savepoints to open again."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return []
    if deferred.pending(session):
        return []  # it has written (its writes wait, and hold nothing meanwhile)
    held: list[Savepoint] = list(session.info.get(_SAVEPOINTS, ()))
    if session.in_nested_transaction():
        root = session.sync_session.get_transaction()
        innermost = session.sync_session.get_nested_transaction()
        mine = len(held) == 1 and held[0].transaction.sync_transaction is innermost
        if not mine or innermost is None or innermost.parent is not root:
            return []  # a savepoint of someone else's: its owner expects it to stay open
    else:
        held = []
    connection = await session.connection()
    if connection.dialect.name != "sqlite" or connection.info.get(_WROTE, True):
        return []
    session.info[READ_ONLY_COMMIT] = True  # a job's session may end a transaction this way
    try:
        await session.commit()
    finally:
        session.info.pop(READ_ONLY_COMMIT, None)
    return held


M = TypeVar("M", bound=Base)

_INSERT_NEW: dict[tuple[type[Base], tuple[str, ...], str], Any] = {}


async def insert_new(
    session: AsyncSession, model: type[M], values: dict[str, Any], *, unique: tuple[str, ...]
) -> M | None:
    """Insert one row of ``model`` unless a row with the same ``unique`` columns exists: one
    statement, ``INSERT … ON CONFLICT (unique) DO NOTHING RETURNING`` (PostgreSQL, SQLite),
    which is safe against a concurrent insert of the same key (the other transaction's row
    wins; on PostgreSQL this one waits for it to end) and needs no savepoint.

    ``values``: column name → value, holding every column that has a default (a column it
    lacks is NULL). Returns the new row as a persistent object of the session, built from
    ``values`` without further SQL (``make_transient_to_detached``), or None when the row
    existed. What the session holds unflushed is flushed first, so the insert sees it.
    """
    table = typing.cast(Table, model.__table__)
    full = {column.key: values.get(column.key) for column in table.columns}
    dialect = session.get_bind().dialect.name
    key = (model, unique, dialect)
    statement = _INSERT_NEW.get(key)
    if statement is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = _INSERT_NEW[key] = (
            insert(table)
            .on_conflict_do_nothing(index_elements=list(unique))
            .returning(*table.primary_key.columns)
        )
    await session.flush()
    if (await session.execute(statement, full)).first() is None:
        return None
    attributes = sa_inspect(model).column_attrs  # attribute name ← its column's value
    row = model(**{attr.key: full[attr.columns[0].key] for attr in attributes})
    make_transient_to_detached(row)
    session.add(row)
    return row


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit and can hold deferred writes
    (:mod:`kro.kit.deferred`)."""
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, sync_session_class=DeferringSession
    )


class unit_of_work:  # lower case: used like the function it replaced
    """The one transaction owner: ``async with unit_of_work(sessions) as session:`` commits on
    success and rolls back on any exception (which then propagates).

    The session is closed either way. After a commit it holds no connection any more, so
    closing it only forgets its objects, which is done in place: ``AsyncSession.close()``
    would add a greenlet and a shielded task (~40 µs per unit of work, bench/ledger.py).
    A class rather than an ``@asynccontextmanager`` generator: ~13k fewer CPU instructions per
    unit of work (callgrind, bench/ledger.py's single transfer).
    """

    __slots__ = ("_session", "_sessions")

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> AsyncSession:
        self._session = self._sessions()
        return self._session

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        session = self._session
        if exc_type is None:
            try:
                await session.commit()
            except BaseException:
                await _roll_back(session)
                raise
        else:
            await _roll_back(session)
            return  # the exception propagates
        if session.in_transaction():  # begun again after the commit (by an event hook)
            await session.close()
        else:
            session.sync_session.close()  # no connection to release: no I/O


async def _roll_back(session: AsyncSession) -> None:
    async with session:  # closed, shielded from cancellation, even if the rollback fails
        await session.rollback()
