"""``kro.kit.db.released``: around a provider call, a transaction that only read is ended (on
SQLite it holds the one write lock from ``BEGIN IMMEDIATE``), one that wrote is kept, and so
is someone else's savepoint; a page form's savepoint (``kro.kit.db.savepoint``) is ended with
it and opened again after the call, so the form can still roll back what came after. On
PostgreSQL nothing changes."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.identity.models import User
from kro.kit.db import released, savepoint
from tests.support.db import write_locked as _locked


async def test_a_read_only_transaction_is_ended_one_that_wrote_is_kept(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    sqlite = db_url.startswith("sqlite")
    async with sessions() as session:
        await session.execute(select(User).limit(1))
        assert session.in_transaction() and _locked(db_url) is sqlite
        async with released(session):
            assert session.in_transaction() is not sqlite
            assert not _locked(db_url)
        await session.rollback()

        await session.execute(text("UPDATE users SET email = email WHERE 1 = 0"))
        async with released(session):
            assert session.in_transaction()  # it wrote: the caller owns it
            assert _locked(db_url) is sqlite
        await session.rollback()

        async with session.begin_nested():  # someone else's savepoint: left open
            await session.execute(select(User).limit(1))
            async with released(session):
                assert session.in_nested_transaction() and _locked(db_url) is sqlite
        await session.rollback()


async def test_a_form_savepoint_is_released_around_the_call_and_opened_again(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    sqlite = db_url.startswith("sqlite")
    count = select(func.count()).select_from(User)
    async with sessions() as session:
        before = (await session.execute(count)).scalar_one()
        async with savepoint(session) as held:
            await session.execute(select(User).limit(1))
            async with released(session):
                assert not _locked(db_url)  # nothing held while the provider answers
                assert session.in_transaction() is not sqlite
            # Opened again: what the form writes after the call can still be rolled back.
            assert session.in_nested_transaction()
            session.add(User(email="after-the-call@example.com", full_name="A", password_hash="x"))
            await session.flush()
            assert (await session.execute(count)).scalar_one() == before + 1
            await held.rollback()
        assert (await session.execute(count)).scalar_one() == before
        await session.commit()

        # A form that wrote before the call keeps its lock (its writes must stay atomic).
        async with savepoint(session) as held:
            session.add(User(email="before-the-call@example.com", full_name="B", password_hash="x"))
            await session.flush()
            async with released(session):
                assert session.in_nested_transaction() and _locked(db_url) is sqlite
            await held.rollback()
        await session.rollback()
