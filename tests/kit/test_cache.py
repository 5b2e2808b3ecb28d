"""kro.kit.cache.ReadCache: kept for the TTL, forgotten on change — at once and again when the
changing transaction commits — and a load that spans a change is not kept."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.cache import ReadCache
from kro.kit.db import unit_of_work


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


Load = Callable[[], Awaitable[str]]


def counting_loader(values: list[str]) -> tuple[list[int], Load]:
    calls = [0]

    async def load() -> str:
        calls[0] += 1
        return values[calls[0] - 1]

    return calls, load


async def test_a_value_is_kept_for_the_ttl_then_read_again() -> None:
    timer = Clock()
    cache: ReadCache[str, str] = ReadCache("t", ttl=5.0, timer=timer)
    calls, load = counting_loader(["v1", "v2"])
    assert await cache.get("k", load) == "v1"
    timer.now = 4.9
    assert await cache.get("k", load) == "v1"
    assert calls == [1]
    timer.now = 5.1  # another process's change is seen within the TTL
    assert await cache.get("k", load) == "v2"
    assert calls == [2]


async def test_forget_drops_at_once_and_again_when_the_change_commits(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    cache: ReadCache[str, str] = ReadCache("t", ttl=60.0)
    async with unit_of_work(sessions) as session:
        await session.execute(text("SELECT 1"))
        await cache.load("k", _value("old"))
        cache.forget("k", session)
        assert cache.peek("k") is None
        # Another request reads before the change commits: what it reads is the old rows...
        await cache.load("k", _value("old, read before the commit"))
        assert cache.peek("k") == "old, read before the commit"
    # ...and the commit forgets it again.
    assert cache.peek("k") is None


async def test_a_load_that_spans_a_change_is_not_kept() -> None:
    cache: ReadCache[str, str] = ReadCache("t", ttl=60.0)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow() -> str:
        started.set()
        await release.wait()
        return "read before the change"

    task = asyncio.create_task(cache.get("k", slow))
    await started.wait()
    cache.forget("k")  # the change happens while the read is under way
    release.set()
    assert await task == "read before the change"  # served to that request only
    assert cache.peek("k") is None


def _value(value: str) -> Load:
    async def load() -> str:
        return value

    return load


async def test_concurrent_misses_of_one_key_share_one_load() -> None:
    cache: ReadCache[str, str] = ReadCache("t", ttl=60.0)
    calls, release = [0], asyncio.Event()

    async def slow() -> str:
        calls[0] += 1
        await release.wait()
        return "rows"

    waiting = [asyncio.create_task(cache.get("k", slow)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == ["rows"] * 5
    assert calls == [1]


async def test_a_failed_shared_load_lets_each_waiter_load_for_itself() -> None:
    cache: ReadCache[str, str] = ReadCache("t", ttl=60.0)
    calls, release = [0], asyncio.Event()

    async def flaky() -> str:
        calls[0] += 1
        if calls[0] == 1:
            await release.wait()
            raise RuntimeError("database away")
        return "rows"

    first = asyncio.create_task(cache.get("k", flaky))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.get("k", flaky))
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and results[1] == "rows"
