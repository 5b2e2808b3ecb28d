"""``kro.kit.db.insert_new``, on both backends: a new row is one statement and comes back as a
persistent object of the session (its attributes readable without SQL); an existing key, a row
the session holds unflushed, or a concurrent transaction's insert of the same key (which wins)
gives None and writes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import inspect as orm_inspect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from kro.kit.clock import utcnow
from kro.kit.db import insert_new, unit_of_work
from kro.kit.ids import new_id
from kro.payments.models import WebhookEvent
from tests.support.db import statements_sent

UNIQUE = ("provider", "event_key")


def _values(key: str) -> dict[str, Any]:
    return {
        "id": new_id("evt"),
        "provider": "paystack",
        "event_key": key,
        "event_type": "charge.success",
        "payload": "{}",
        "status": "received",
        "deliveries": 1,
        "received_at": utcnow(),
        "extra": {"reference": key},
    }


async def _count(session: AsyncSession, key: str) -> int:
    stmt = select(func.count()).select_from(WebhookEvent).where(WebhookEvent.event_key == key)
    return (await session.execute(stmt)).scalar_one()


async def test_a_new_row_is_one_statement_and_a_persistent_object(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    with statements_sent(engine) as statements:
        async with unit_of_work(sessions) as session:
            values = _values("k-new")
            row = await insert_new(session, WebhookEvent, values, unique=UNIQUE)
            assert statements == ["INSERT"]
            assert row is not None and row in session
            state = orm_inspect(row)
            assert state.persistent and not state.expired_attributes and not state.modified
            assert (row.id, row.deliveries, row.outcome, row.extra) == (
                values["id"],
                1,
                None,
                {"reference": "k-new"},
            )
            assert statements == ["INSERT"]  # reading it sent nothing
            assert await session.get(WebhookEvent, values["id"]) is row
    async with sessions() as session:
        stored = await session.get(WebhookEvent, values["id"])
        assert stored is not None and stored.extra == {"reference": "k-new"}


async def test_an_existing_or_unflushed_key_gives_none_and_writes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        assert await insert_new(session, WebhookEvent, _values("k-dup"), unique=UNIQUE)
    async with unit_of_work(sessions) as session:
        assert await insert_new(session, WebhookEvent, _values("k-dup"), unique=UNIQUE) is None
        session.add(WebhookEvent(**_values("k-pending")))  # not flushed yet
        assert await insert_new(session, WebhookEvent, _values("k-pending"), unique=UNIQUE) is None
    async with sessions() as session:
        assert await _count(session, "k-dup") == await _count(session, "k-pending") == 1


async def test_a_concurrent_insert_of_the_same_key_wins(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = sessions()
    try:
        won = await insert_new(first, WebhookEvent, _values("k-race"), unique=UNIQUE)
        assert won is not None

        async def second() -> WebhookEvent | None:
            async with unit_of_work(sessions) as session:
                return await insert_new(session, WebhookEvent, _values("k-race"), unique=UNIQUE)

        racing = asyncio.create_task(second())
        await asyncio.sleep(0.3)  # the second waits for the first's transaction
        assert not racing.done()
        await first.commit()
        assert await asyncio.wait_for(racing, 30) is None
    finally:
        await first.close()
    async with sessions() as session:
        assert await _count(session, "k-race") == 1
