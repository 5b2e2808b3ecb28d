"""``/healthz``, ``/readyz`` and the business gauges of ``/metrics``, on each backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from alembic import command
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.app import create_app
from kro.jobs import enqueue
from kro.migrate import alembic_config
from kro.ops import metrics
from kro.settings import Settings


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kro.test") as client:
            yield client


def stamp_head(db_url: str) -> None:
    """The test database has the whole schema (create_all); record it as migrated."""
    command.stamp(alembic_config(db_url), "head")


async def test_liveness_checks_nothing_but_the_process(api: httpx.AsyncClient) -> None:
    r = await api.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def test_not_ready_until_the_schema_is_at_the_migrations_head(
    api: httpx.AsyncClient, db_url: str
) -> None:
    r = await api.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["database"].startswith("no migrations applied")
    await asyncio.to_thread(stamp_head, db_url)
    r = await api.get("/readyz")
    assert r.status_code == 200, r.json()
    assert r.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_not_ready_while_redis_does_not_answer(db_url: str, settings: Settings) -> None:
    await asyncio.to_thread(stamp_head, db_url)
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    app = create_app(down)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kro.test") as client:
            r = await client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"] == {"database": "ok", "redis": "unreachable (ConnectionError)"}


def gauge(text: str, name: str) -> float | None:
    """The value of the unlabelled sample ``name`` in Prometheus text."""
    for line in text.splitlines():
        sample, _, value = line.partition(" ")
        if sample == name:
            return float(value)
    return None


async def test_metrics_carry_the_business_gauges(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session:
        await enqueue(session, "ops.test_job", {"n": 1})
        await enqueue(session, "ops.test_job", {"n": 2})
        await session.commit()
    metrics._last_refresh = 0.0  # this process may have scraped a moment ago
    text = (await api.get("/metrics")).text
    assert 'kro_jobs{status="queued"} 2.0' in text
    assert 'kro_jobs{status="dead"} 0.0' in text
    assert gauge(text, "kro_jobs_due") == 2.0
    lag = gauge(text, "kro_jobs_oldest_due_seconds")
    assert lag is not None and 0.0 <= lag < 60
    assert 'kro_provider_circuit_open{mode="test",provider="paystack"} 0.0' in text
    assert "kro_payments" in text and "kro_payouts" in text and "kro_webhook_deliveries" in text
    # Beside them, the HTTP metrics per route template (the probes left out).
    await api.get("/v1/me")
    text = (await api.get("/metrics")).text
    assert 'http_requests_total{handler="/v1/me",method="GET",status="401"}' in text
    assert 'handler="/healthz"' not in text
