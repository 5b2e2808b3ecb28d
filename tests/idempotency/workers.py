"""Code run in child processes by the cross-process tests (importable under ``spawn``)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from kro.idempotency import service
from kro.idempotency.errors import IdempotencyKeyInUse
from kro.kit.clock import utcnow
from kro.kit.db import create_engine, session_factory

POLICY = service.Policy(ttl=timedelta(hours=24), lock_timeout=timedelta(seconds=120))


def claim_many(url: str, key: str, tasks: int, barrier: Any) -> list[str]:
    """Claim ``key`` from ``tasks`` concurrent tasks at once; the outcome of each:
    ``claimed`` / ``in_use`` / ``replay``."""
    barrier.wait()  # every process starts at once
    return asyncio.run(_claim_many(url, key, tasks))


async def _claim_many(url: str, key: str, tasks: int) -> list[str]:
    engine = create_engine(url, pool_size=tasks)
    sessions = session_factory(engine)

    async def one() -> str:
        try:
            outcome = await service.claim(
                sessions,
                scope="user:usr_x",
                key=key,
                fingerprint="f" * 64,
                now=utcnow(),
                policy=POLICY,
            )
        except IdempotencyKeyInUse:
            return "in_use"
        return "claimed" if isinstance(outcome, service.Claim) else "replay"

    try:
        return list(await asyncio.gather(*(one() for _ in range(tasks))))
    finally:
        await engine.dispose()
