"""``kro.kit.db.end_read_only``: before a provider call, a transaction that only read is ended
(on SQLite it holds the one write lock from ``BEGIN IMMEDIATE``), one that wrote is kept, and
so is a savepoint's; on PostgreSQL nothing changes."""

from __future__ import annotations

import sqlite3

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.identity.models import User
from kro.kit.db import end_read_only


def _locked(db_url: str) -> bool:
    """SQLite: True if another connection cannot take the write lock now."""
    if not db_url.startswith("sqlite"):
        return False
    other = sqlite3.connect(db_url.split(":///", 1)[1], timeout=0.05, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()
    return False


async def test_a_read_only_transaction_is_ended_one_that_wrote_is_kept(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    sqlite = db_url.startswith("sqlite")
    async with sessions() as session:
        await session.execute(select(User).limit(1))
        assert session.in_transaction() and _locked(db_url) is sqlite
        await end_read_only(session)
        assert session.in_transaction() is not sqlite
        assert not _locked(db_url)
        await session.rollback()

        await session.execute(text("UPDATE users SET email = email WHERE 1 = 0"))
        await end_read_only(session)
        assert session.in_transaction()  # it wrote: the caller owns it
        if sqlite:
            assert _locked(db_url)
        await session.rollback()

        async with session.begin_nested():
            await end_read_only(session)
            assert session.in_nested_transaction()
        await session.rollback()
