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

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, MetaData, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

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
        # Anything but a plain read counts as a write (a CTE may write: counted too).
        if not statement.lstrip()[:6].upper().startswith(("SELECT", "PRAGMA", "BEGIN")):
            conn.info[_WROTE] = True


_WROTE = "kro_wrote"
READ_ONLY_COMMIT = "kro.db.read_only_commit"
"""``session.info`` key set while :func:`end_read_only` commits a transaction that wrote
nothing (the job worker, which refuses a handler's commit, lets this one through)."""


async def end_read_only(session: AsyncSession) -> None:
    """Before a call to another service (a payment provider): end ``session``'s transaction
    if it has written nothing, so that no lock is held across the call (DESIGN.md §5).

    On SQLite every transaction takes the database's one write lock at ``BEGIN IMMEDIATE``,
    so even a transaction that only read would make every other writer wait for the provider;
    committing a transaction that wrote nothing changes no data and the next statement begins
    a new one. A transaction that wrote (or holds unflushed changes) is left alone, and so is
    every transaction on PostgreSQL, where reads take no lock. Callers re-read and re-check
    what they rely on after the call, as they must anyway."""
    if not session.in_transaction() or session.in_nested_transaction():
        return  # nothing to end, or inside a savepoint its owner will release
    if session.new or session.dirty or session.deleted:
        return
    connection = await session.connection()
    if connection.dialect.name != "sqlite" or connection.info.get(_WROTE, True):
        return
    session.info[READ_ONLY_COMMIT] = True  # a job's session may end a transaction this way
    try:
        await session.commit()
    finally:
        session.info.pop(READ_ONLY_COMMIT, None)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """The one transaction owner: commit on success, roll back on any exception.

    The session is closed either way. After a commit it holds no connection any more, so
    closing it only forgets its objects, which is done in place: ``AsyncSession.close()``
    would add a greenlet and a shielded task (~40 µs per unit of work, bench/ledger.py).
    """
    session = sessions()
    try:
        yield session
        await session.commit()
    except BaseException:
        async with session:  # closed, shielded from cancellation, even if the rollback fails
            await session.rollback()
        raise
    if session.in_transaction():  # begun again after the commit (by an event hook)
        await session.close()
    else:
        session.sync_session.close()  # no connection to release: no I/O
