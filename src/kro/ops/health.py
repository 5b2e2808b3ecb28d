"""Readiness (``/readyz``): can this process do its work now?

Checked on every call, each with a short timeout: the database answers and its schema is at
the migrations' head; Redis answers (only when ``KRO_REDIS_URL`` is set). A load balancer
takes a process out of rotation while any check fails; ``/healthz`` only says the process
runs (a liveness probe must not fail because the database is down, or every replica would be
restarted at once).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import lru_cache

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.migrate import alembic_config
from kro.settings import Settings

CHECK_TIMEOUT = 2.0


@dataclass
class Readiness:
    """``checks``: name → ``"ok"`` or what is wrong."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(v == "ok" for v in self.checks.values())


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The head revisions of this checkout's migrations (read once)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


async def _database(sessions: async_sessionmaker[AsyncSession]) -> str:
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        try:
            rows = await session.execute(text("SELECT version_num FROM alembic_version"))
        except Exception:
            return "no migrations applied (run kro migrate)"
        applied = frozenset(str(r[0]) for r in rows.all())
    if applied != migration_heads():
        return f"migrations not at head: {sorted(applied)} != {sorted(migration_heads())}"
    return "ok"


async def _redis(url: str) -> str:
    from redis.asyncio import from_url

    client = from_url(url, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return "ok"


async def readiness(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> Readiness:
    """Run every check (concurrently, each bounded by :data:`CHECK_TIMEOUT` seconds)."""
    checks = {"database": _database(sessions)}
    if settings.redis_url:
        checks["redis"] = _redis(settings.redis_url)
    result = Readiness()
    outcomes = await asyncio.gather(
        *(asyncio.wait_for(c, CHECK_TIMEOUT) for c in checks.values()), return_exceptions=True
    )
    for name, outcome in zip(checks, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            reason = "timed out" if isinstance(outcome, TimeoutError) else type(outcome).__name__
            result.checks[name] = f"unreachable ({reason})"
        else:
            result.checks[name] = outcome
    return result
