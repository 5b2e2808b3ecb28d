"""``kro.kit.deferred``: writes that wait for the transaction's connection, on both backends —
on PostgreSQL sent as one statement in autocommit when nothing else was done; all written or
none; forgotten by a rollback; seen by any read that follows; in order with ORM work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from kro.identity.models import User
from kro.kit.db import UTCDateTime, unit_of_work
from kro.kit.deferred import execute_later, insert_later, pending

META = MetaData()
PARENTS = Table(
    "test_deferred_parents",
    META,
    Column("id", String(20), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
CHILDREN = Table(
    "test_deferred_children",
    META,
    Column("id", String(20), primary_key=True),
    Column("parent_id", String(20), ForeignKey(PARENTS.c.id), nullable=False),
    Column("n", Integer, nullable=False),
)
COUNTERS = Table(
    "test_deferred_counters",
    META,
    Column("id", String(20), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("state", String(10), nullable=False),
)
NOTES = Table(
    "test_deferred_notes",
    META,
    Column("id", String(20), primary_key=True),
    Column("user_id", String(32), ForeignKey(User.__table__.c.id), nullable=False),
)
BUMP = (
    update(COUNTERS)
    .where(COUNTERS.c.id == bindparam("counter"))
    .values(n=bindparam("to"), state="bumped")
)
AT = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


@pytest.fixture
async def tables(engine: AsyncEngine) -> AsyncIterator[list[str]]:
    """The test's tables, and the statements the engine sends (their first words)."""
    async with engine.begin() as connection:
        await connection.run_sync(META.create_all)
        await connection.execute(COUNTERS.insert(), [{"id": "c1", "n": 0, "state": "new"}])
    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()[:2]).upper())

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    yield sent
    event.remove(engine.sync_engine, "before_cursor_execute", seen)


def _family(parent: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    parents = [{"id": parent, "data": {"kobo": 150_000, "tags": ["a"]}, "at": AT}]
    children = [{"id": f"{parent}-{n}", "parent_id": parent, "n": n} for n in range(3)]
    return parents, children


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> tuple[Any, ...]:
    async with unit_of_work(sessions) as session:
        parents = (await session.execute(select(PARENTS).order_by(PARENTS.c.id))).all()
        children = (await session.execute(select(CHILDREN.c.id).order_by(CHILDREN.c.id))).all()
        counter = (await session.execute(select(COUNTERS.c.n, COUNTERS.c.state))).one()
    return [tuple(p) for p in parents], [c.id for c in children], tuple(counter)


async def test_deferred_writes_commit_together_on_postgresql_in_one_statement(
    sessions: async_sessionmaker[AsyncSession], tables: list[str], db_url: str
) -> None:
    counts: list[int] = []
    parents, children = _family("p1")
    async with unit_of_work(sessions) as session:
        await insert_later(session, PARENTS, parents)
        await insert_later(session, CHILDREN, children)  # its foreign key: checked at the end
        await execute_later(session, BUMP, {"counter": "c1", "to": 7}, on_rowcount=counts.append)
        await execute_later(session, BUMP, {"counter": "nope", "to": 1}, on_rowcount=counts.append)
        assert pending(session) and tables == []  # nothing sent yet
    assert counts == [1, 0]
    if db_url.startswith("postgresql"):
        assert tables == ["WITH W0"]  # no BEGIN, no COMMIT: one statement
    else:
        assert tables[0] == "BEGIN IMMEDIATE" and len(tables) == 5
    assert await _rows(sessions) == (
        [("p1", {"kobo": 150_000, "tags": ["a"]}, AT)],
        ["p1-0", "p1-1", "p1-2"],
        (7, "bumped"),
    )


async def test_a_failing_write_leaves_none_written_and_a_rollback_forgets_them(
    sessions: async_sessionmaker[AsyncSession], tables: list[str]
) -> None:
    parents, children = _family("p2")
    with pytest.raises(IntegrityError):
        async with unit_of_work(sessions) as session:
            await insert_later(session, PARENTS, parents)
            await execute_later(session, BUMP, {"counter": "c1", "to": 9})
            await insert_later(session, CHILDREN, [{**children[0], "parent_id": "missing"}])
    async with sessions() as session:
        await insert_later(session, PARENTS, parents)
        await session.rollback()
        assert not pending(session)
    async with sessions() as session:
        await insert_later(session, PARENTS, parents)  # closed without a commit
    async with unit_of_work(sessions) as session:
        nested = await session.begin_nested()  # no connection yet: nothing sent
        await insert_later(session, PARENTS, parents)  # so written at once, in the savepoint
        assert not pending(session)
        await nested.rollback()
    async with sessions() as session:
        await insert_later(session, PARENTS, parents)
        nested = await session.begin_nested()
        await nested.commit()  # a savepoint's release: no autocommit of the outer writes
        assert pending(session)
        await session.rollback()
    assert await _rows(sessions) == ([], [], (0, "new"))


async def test_what_a_session_deferred_it_reads_and_orm_work_keeps_its_order(
    sessions: async_sessionmaker[AsyncSession], tables: list[str]
) -> None:
    parents, children = _family("p3")
    async with unit_of_work(sessions) as session:
        await insert_later(session, PARENTS, parents)
        found = await session.scalar(select(PARENTS.c.id))  # written before the read
        assert found == "p3" and not pending(session)
        await insert_later(session, CHILDREN, children[:1])  # connected: written at once
        assert not pending(session)
    async with unit_of_work(sessions) as session:
        user = User(id="usr_deferred", email="d@example.com", full_name="D", password_hash="x")
        session.add(user)
        # Unflushed ORM work comes first: flushed, then this is written at once.
        await insert_later(session, NOTES, [{"id": "n1", "user_id": user.id}])
        assert not pending(session)
    async with unit_of_work(sessions) as session:
        await insert_later(session, CHILDREN, children[1:])
        session.add(
            User(id="usr_deferred2", email="e@example.com", full_name="E", password_hash="x")
        )
    rows = await _rows(sessions)
    assert rows[1] == ["p3-0", "p3-1", "p3-2"]
    async with unit_of_work(sessions) as session:
        assert await session.scalar(select(NOTES.c.user_id)) == "usr_deferred"
        assert await session.get(User, "usr_deferred2") is not None
