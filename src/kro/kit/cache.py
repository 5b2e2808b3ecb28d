"""Short-lived in-process caches of database reads that the hot path makes on every request
(an API key, a tenant's routing configuration), invalidated by the code that changes them.

A :class:`ReadCache` keeps what its loader read for ``ttl`` seconds (``time.monotonic``).
The service that changes the rows calls :meth:`ReadCache.forget` with the session making the
change: the entry is dropped at once *and again when that session commits*, and a load that
was running meanwhile is not kept (a generation counter), so in the process that made the
change nobody is served the old rows once the change is committed.

Other server processes (``kro serve --workers N``, other machines) do not hear of the change:
they keep serving what they read for at most ``ttl`` seconds. **That is what the TTL bounds**,
and why it is short; each cache says what that staleness means for its rows.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar, cast

from cachetools import TTLCache
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_FAILED = object()  # what a shared load hands its waiters when it raised


class ReadCache(Generic[K, V]):
    """Values of type ``V`` by key ``K``, each kept ``ttl`` seconds of ``timer`` (seconds,
    monotonic; tests pass their own), at most ``maxsize`` (the least recently used go first).

    Values are shared by every request of the process: they must not be changed, nor (ORM
    objects) attached to a session.
    """

    def __init__(
        self,
        name: str,
        *,
        ttl: float,
        maxsize: int = 10_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.ttl = ttl
        self._entries: TTLCache[K, V] = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)
        self._generation = 0  # bumped by every forget(): a load that spans one is not kept
        self._loading: dict[K, asyncio.Future[object]] = {}
        _ALL.add(self)

    def peek(self, key: K) -> V | None:
        """The cached value, or None (expired or never loaded)."""
        return self._entries.get(key)

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The cached value of ``key``, else ``await load()`` (kept unless a :meth:`forget`
        happened while it ran). Whatever ``load`` raises propagates; nothing is kept then."""
        found = self._entries.get(key)
        if found is not None:
            return found
        return await self.load(key, load)

    async def load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """``await load()`` and keep the value (as :meth:`get` does on a miss). Concurrent
        misses of one key share one load: when an entry expires under load, the requests
        that meet the miss together read the rows once, not once each. (If that load fails,
        each of them loads for itself.)"""
        while (running := self._loading.get(key)) is not None:
            shared = await asyncio.shield(running)
            if shared is not _FAILED:
                return cast(V, shared)
        generation = self._generation
        running = self._loading[key] = asyncio.get_running_loop().create_future()
        outcome: object = _FAILED
        try:
            value = await load()
            outcome = value
            if generation == self._generation:
                self._entries[key] = value
            return value
        finally:
            del self._loading[key]
            running.set_result(outcome)

    def forget(self, key: K, session: AsyncSession | None = None) -> None:
        """Drop ``key`` now and, given the ``session`` that changes its rows, again after
        that session commits (a read made before the commit may have been kept meanwhile)."""
        self._drop(key)
        if session is not None:

            def after_commit(_: Any) -> None:
                self._drop(key)

            event.listen(session.sync_session, "after_commit", after_commit, once=True)

    def clear(self) -> None:
        """Drop everything (tests; a process-wide reset: :func:`clear_all`)."""
        self._generation += 1
        self._entries.clear()

    def _drop(self, key: K) -> None:
        self._generation += 1
        self._entries.pop(key, None)


_ALL: weakref.WeakSet[ReadCache[Any, Any]] = weakref.WeakSet()


def clear_all() -> None:
    """Drop every entry of every cache of the process (tests start each one on a new
    database, where what a cache read from the last one means nothing)."""
    for cache in list(_ALL):
        cache.clear()
