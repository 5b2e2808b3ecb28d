"""Fixtures for phone verification and magic links: the app in-process, and readers of the
codes and links waiting in the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.app import create_app
from kro.notifications.models import Notification
from kro.settings import Settings


@asynccontextmanager
async def api_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kro.test") as client:
            yield client


async def latest_context(
    sessions: async_sessionmaker[AsyncSession], event: str, user_id: str | None = None
) -> dict[str, Any] | None:
    """The context of the newest ``event`` notification (the code or link before sending)."""
    stmt = select(Notification).where(Notification.event == event)
    if user_id is not None:
        stmt = stmt.where(Notification.user_id == user_id)
    async with sessions() as session:
        row = (await session.execute(stmt.order_by(Notification.id.desc()).limit(1))).scalar()
    return dict(row.context) if row else None


async def count_notifications(sessions: async_sessionmaker[AsyncSession], event: str) -> int:
    async with sessions() as session:
        stmt = select(Notification.id).where(Notification.event == event)
        return len((await session.execute(stmt)).all())
