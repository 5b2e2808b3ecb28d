"""Fixtures of the payments tests: the whole platform (API, worker, provider sandboxes) over
real HTTP, with or without Paystack's webhooks reaching us; the ledger invariant is checked
after each test that uses it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.escrow.conftest import assert_ledger_ok
from tests.support.platform import Platform, run_platform


@asynccontextmanager
async def platform(
    db_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    sessions: async_sessionmaker[AsyncSession],
    **overrides: Any,
) -> AsyncIterator[Platform]:
    """The whole platform, without periodic jobs (a test's reports are only its own); the
    ledger invariant must hold afterwards."""
    sandbox_db = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sandbox')}/sandbox.db"
    with run_platform(
        db_url,
        sandbox_db,
        gateway_provider_timeout=3.0,
        api_rate_limit="100000/minute",
        worker_schedule_periodic=False,
        **overrides,
    ) as p:
        yield p
    await assert_ledger_ok(sessions)


@pytest.fixture
async def gateway(
    db_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Platform]:
    async with platform(db_url, tmp_path_factory, sessions) as p:
        yield p


@pytest.fixture
async def quiet_gateway(
    db_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Platform]:
    """The Paystack sandbox cannot reach our webhook inbox: only reconciliation can learn what
    happened at the provider."""
    async with platform(
        db_url, tmp_path_factory, sessions, sandbox_webhook_url="http://127.0.0.1:9/nowhere"
    ) as p:
        yield p
