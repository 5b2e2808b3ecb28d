"""Rate limits with the ``limits`` library: a sliding window counter per key (e.g. per API
key) — this window's count plus the previous window's, weighted by how much of it the sliding
window still covers (the ``limits`` docs' "sliding window counter"; Cloudflare's approach).

Two counters per key, in memory and in Redis alike. The exact moving window keeps one entry
per hit instead — 10,000 entries for a key allowed 10,000 a minute — and its memory storage
re-sorts them in a worker thread on every hit: a thread hop per request, ~6 % of the platform's
py-spy samples under ``bench/payments_api.py`` (2026-12-06).

Storage is Redis when a URL is given (every server process shares the counters: DESIGN.md
section 2), memory otherwise (the embedded default, one process). Build one
:class:`RateLimiter` at start-up and share it.

If Redis fails, requests are let through (and logged): an outage of the counters must not take
the merchant API down with it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

log = structlog.get_logger("kro.ratelimit")


@dataclass(frozen=True, slots=True)
class RateLimitResult:
    """One hit: ``allowed``, the window's ``limit`` and ``remaining`` hits, ``reset`` (Unix
    seconds when a hit is next freed) and ``retry_after`` (seconds, at least 1)."""

    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` headers, plus ``Retry-After`` when the hit was refused."""
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def parse_limit(value: str) -> RateLimitItem:
    """``"100/minute"`` → the limit; ValueError if ``limits`` cannot read it."""
    return parse(value)


class RateLimiter:
    """``limit`` (e.g. ``"100/minute"``) per key, in Redis at ``redis_url`` or in memory."""

    def __init__(self, limit: str, *, redis_url: str = "", namespace: str = "kro") -> None:
        self.item = parse_limit(limit)
        self.storage: Storage = (
            RedisStorage(
                redis_url,
                implementation="redispy",
                key_prefix=f"{namespace}-limits",
                wrap_exceptions=True,
            )
            if redis_url
            else MemoryStorage()
        )
        self._strategy = SlidingWindowCounterRateLimiter(self.storage)

    async def hit(self, key: str) -> RateLimitResult:
        """Count one request for ``key`` and say whether it is allowed (allowed, with a full
        window, when the storage fails)."""
        try:
            allowed = await self._strategy.hit(self.item, key)
            stats = await self._strategy.get_window_stats(self.item, key)
        except StorageError as exc:
            log.warning("rate_limit_storage_failed", error=str(exc)[:200])
            reset = math.ceil(time.time() + self.item.get_expiry())
            return RateLimitResult(True, self.item.amount, self.item.amount, reset, 1)
        return RateLimitResult(
            allowed=allowed,
            limit=self.item.amount,
            remaining=max(stats.remaining, 0),
            reset=math.ceil(stats.reset_time),
            retry_after=max(1, math.ceil(stats.reset_time - time.time())),
        )
