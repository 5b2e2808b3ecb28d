"""A circuit breaker per provider and mode, with the ``purgatory`` library (seed 003 §2.3).

Closed: calls go through; ``breaker_threshold`` failures in a row (``ProviderUnavailable`` or
``ProviderTimeout``; a ``ProviderRejected`` answer is the provider working) open it. Open:
calls are refused at once (:class:`CircuitOpen`, which routing treats as "not accepted", so
the payment fails over) until ``breaker_ttl`` seconds pass; then half-open: the next call is a
probe — success closes the circuit, failure opens it again.

With ``KRO_REDIS_URL`` the state lives in Redis and every server process and worker shares
it; without, each process keeps its own (the embedded default is one process).
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from purgatory import AsyncCircuitBreakerFactory, AsyncInMemoryUnitOfWork, AsyncRedisUnitOfWork
from purgatory.domain.model import OpenedState

from kro.providers.errors import ProviderRejected, ProviderUnavailable
from kro.settings import Settings

T = TypeVar("T")


class CircuitOpen(ProviderUnavailable):
    """The provider's circuit is open: not called at all (safe to fail over)."""

    code = "provider_circuit_open"
    message = "The payment provider is failing; its circuit breaker is open."


class Breakers:
    """The circuit breakers of one application (its settings)."""

    def __init__(self, threshold: int, ttl: float, redis_url: str | None = None) -> None:
        uow = AsyncRedisUnitOfWork(redis_url) if redis_url else AsyncInMemoryUnitOfWork()
        self._factory = AsyncCircuitBreakerFactory(
            default_threshold=threshold,
            default_ttl=ttl,
            exclude=[ProviderRejected],
            uow=uow,
        )
        self._initialized = False

    async def _ready(self) -> None:
        if not self._initialized:
            await self._factory.initialize()
            self._initialized = True

    @staticmethod
    def circuit(provider: str, mode: str) -> str:
        return f"kro:provider:{mode}:{provider}"

    async def call(self, provider: str, mode: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call`` through the circuit of ``provider`` in ``mode``; raises CircuitOpen
        when open, else whatever ``call`` raises (counted as described above)."""
        await self._ready()
        breaker = await self._factory.get_breaker(self.circuit(provider, mode))
        try:
            async with breaker:
                return await call()
        except OpenedState:
            raise CircuitOpen(provider=provider, operation="circuit") from None

    async def state(self, provider: str, mode: str) -> dict[str, Any]:
        """``{state: closed|opened|half-opened, failure_count, opened_at}`` of one circuit."""
        await self._ready()
        breaker = await self._factory.get_breaker(self.circuit(provider, mode))
        context = breaker.context
        opened_at = context.opened_at if context.state == "opened" else None
        return {
            "state": context.state,
            "failure_count": context.failure_count or 0,
            "opened_at": datetime.fromtimestamp(opened_at, UTC) if opened_at else None,
        }


_BREAKERS: dict[int, Breakers] = {}


def breakers(settings: Settings) -> Breakers:
    """The breakers of the application configured by ``settings`` (one per settings object:
    the server and its in-process worker share them)."""
    found = _BREAKERS.get(id(settings))
    if found is None:
        found = _BREAKERS[id(settings)] = Breakers(
            settings.breaker_threshold, settings.breaker_ttl, settings.redis_url or None
        )
        # Forget them with their settings, so a later object reusing the id starts afresh.
        weakref.finalize(settings, _BREAKERS.pop, id(settings), None)
    return found
