"""Idempotency across server processes on PostgreSQL: the claim row, inserted with
``INSERT … ON CONFLICT DO NOTHING`` in its own committed transaction, is the lock."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.idempotency import service
from kro.kit.clock import utcnow
from kro.kit.db import create_engine, session_factory
from tests.idempotency.conftest import tenant_count
from tests.idempotency.workers import POLICY, claim_many
from tests.support.api import data, error, register_and_login
from tests.support.server import ServerProcess as SubprocessServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_of_many_processes_claiming_one_key_exactly_one_wins(pg_url: str) -> None:
    procs, tasks = 4, 8
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(procs)
    with context.Pool(procs) as pool:
        results = pool.starmap(claim_many, [(pg_url, "race", tasks, barrier)] * procs)
    outcomes = [o for r in results for o in r]
    assert sorted(set(outcomes)) == ["claimed", "in_use"]
    assert outcomes.count("claimed") == 1


class ServerProcess(SubprocessServer):
    """``uvicorn tests.idempotency.app:create_test_app --factory`` in its own process."""

    def __init__(self, name: str, db_url: str, log_dir: Path) -> None:
        env = {
            "KRO_ENV": "test",
            "KRO_DATABASE_URL": db_url,
            "KRO_SANDBOX_ENABLED": "false",
            "KRO_WORKER_IN_PROCESS": "false",
            "KRO_ADMIN_EMAIL": "",
            "KRO_REDIS_URL": "",
            "KRO_LOG_LEVEL": "WARNING",
        }
        super().__init__(name, "tests.idempotency.app:create_test_app", env, log_dir)


@pytest.fixture
def two_servers(pg_url: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    a, b = ServerProcess("a", pg_url, tmp_path), ServerProcess("b", pg_url, tmp_path)
    try:
        a.wait_ready()
        b.wait_ready()
        yield a, b
    finally:
        a.close()
        b.close()


async def test_two_server_processes_share_the_key(
    two_servers: tuple[ServerProcess, ServerProcess], pg_url: str
) -> None:
    a, b = two_servers
    engine = create_engine(pg_url)
    sessions: async_sessionmaker[AsyncSession] = session_factory(engine)
    try:
        async with (
            httpx.AsyncClient(base_url=a.base_url, timeout=30) as ca,
            httpx.AsyncClient(base_url=b.base_url, timeout=30) as cb,
        ):
            alice = await register_and_login(ca, "alice@example.com")
            slow = {"name": "Slow", "delay": 2.0}
            headers = alice | {"Idempotency-Key": "slow-1"}

            # A runs the request; its twin reaches B meanwhile: 409, and nothing is created.
            first = asyncio.create_task(
                ca.post("/v1/test/slow-tenants", json=slow, headers=headers)
            )
            await asyncio.sleep(0.7)
            twin = await cb.post("/v1/test/slow-tenants", json=slow, headers=headers)
            error(twin, 409, "idempotency_key_in_use")
            done = await first
            data(done, 201)
            replay = await cb.post("/v1/test/slow-tenants", json=slow, headers=headers)
            assert (replay.status_code, replay.content) == (201, done.content)
            assert replay.headers["idempotent-replayed"] == "true"
            assert await tenant_count(sessions, "Slow") == 1

            # A burst of identical requests over both processes creates exactly one tenant.
            burst = {"name": "Burst"}
            headers = alice | {"Idempotency-Key": "burst-1"}
            responses = await asyncio.gather(
                *(
                    (ca if i % 2 else cb).post("/v1/tenants", json=burst, headers=headers)
                    for i in range(16)
                )
            )
            statuses = {r.status_code for r in responses}
            assert statuses <= {201, 409}, [r.text for r in responses]
            created = {r.content for r in responses if r.status_code == 201}
            assert len(created) == 1
            for r in responses:
                if r.status_code == 409:
                    error(r, 409, "idempotency_key_in_use")
            after = await ca.post("/v1/tenants", json=burst, headers=headers)
            assert after.content in created
            assert await tenant_count(sessions, "Burst") == 1
    finally:
        await engine.dispose()
    for server in (a, b):
        assert "Traceback" not in server.output(), server.output()


def test_the_service_replays_across_processes_after_completion(pg_url: str) -> None:
    async def complete_first() -> None:
        engine = create_engine(pg_url)
        sessions = session_factory(engine)

        held = await service.claim(
            sessions,
            scope="user:usr_x",
            key="done",
            fingerprint="f" * 64,
            now=utcnow(),
            policy=POLICY,
        )
        assert isinstance(held, service.Claim)
        await service.complete(
            sessions, held, service.StoredResponse(201, "application/json", b"{}")
        )
        await engine.dispose()

    asyncio.run(complete_first())
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(3)
    with context.Pool(3) as pool:
        results = pool.starmap(claim_many, [(pg_url, "done", 4, barrier)] * 3)
    assert {o for r in results for o in r} == {"replay"}
