"""Idempotency fixtures: an in-process client of the platform plus the test routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.settings import Settings
from kro.tenants.models import Tenant
from tests.idempotency.app import create_test_app


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_test_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kro.test") as c:
            yield c


async def tenant_count(sessions: async_sessionmaker[AsyncSession], name: str | None = None) -> int:
    async with sessions() as s:
        stmt = select(func.count()).select_from(Tenant)
        if name is not None:
            stmt = stmt.where(Tenant.name == name)
        return int((await s.execute(stmt)).scalar_one())
