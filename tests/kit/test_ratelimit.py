"""kro.kit.ratelimit: the sliding window counter in memory and in Redis (shared by processes)."""

from __future__ import annotations

import os
import uuid

import pytest
import redis.asyncio as aioredis

from kro.kit.ratelimit import RateLimiter, parse_limit

REDIS_URL = os.environ.get("KRO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def test_memory_window_counts_per_key() -> None:
    limiter = RateLimiter("2/minute")
    results = [await limiter.hit("a") for _ in range(3)]
    assert [r.allowed for r in results] == [True, True, False]
    assert [r.remaining for r in results] == [1, 0, 0]
    assert results[2].headers()["Retry-After"] == str(results[2].retry_after)
    assert "Retry-After" not in results[0].headers()
    assert (await limiter.hit("b")).allowed


async def test_two_limiters_on_one_redis_share_the_budget() -> None:
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception:
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis is not reachable")
    finally:
        await client.aclose()
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    one = RateLimiter("3/minute", redis_url=REDIS_URL, namespace=namespace)
    two = RateLimiter("3/minute", redis_url=REDIS_URL, namespace=namespace)
    allowed = [(await limiter.hit("key_1")).allowed for limiter in (one, two, one, two)]
    assert allowed == [True, True, True, False]


def test_bad_limits_are_refused() -> None:
    assert parse_limit("100/minute").amount == 100
    with pytest.raises(ValueError):
        parse_limit("a lot")


async def test_an_unreachable_redis_lets_requests_through() -> None:
    limiter = RateLimiter("1/minute", redis_url="redis://127.0.0.1:1/0")
    results = [await limiter.hit("k") for _ in range(3)]
    assert all(r.allowed for r in results)
