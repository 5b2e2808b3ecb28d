"""Webhook fixtures: a real HTTP receiver (uvicorn in a thread) whose answers a test scripts,
and helpers that run the outbox (``drain``) and read the rows back."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import kro.registry
from kro.jobs.models import Job
from kro.jobs.worker import drain
from kro.kit.db import unit_of_work
from kro.settings import Settings
from kro.webhooks import service
from kro.webhooks.models import Attempt, Delivery, WebhookEndpoint
from tests.support.server import serve_in_thread

kro.registry.load_all_handlers()


@dataclass(frozen=True)
class Received:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = "ok"
    delay: float = 0.0


@dataclass
class Receiver:
    """Records every POST; answers with the scripted ``replies`` in order, then ``default``."""

    base_url: str = ""
    requests: list[Received] = field(default_factory=list)
    replies: deque[Reply] = field(default_factory=deque)
    default: Reply = field(default_factory=Reply)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"{self.base_url}/hook"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self._lock:
                self.requests.append(Received(request.url.path, body, dict(request.headers)))
                reply = self.replies.popleft() if self.replies else self.default
            if reply.delay:
                await asyncio.sleep(reply.delay)
            return Response(reply.body, status_code=reply.status, headers=reply.headers)

        return Starlette(routes=[Route("/{path:path}", hook, methods=["POST"])])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    with serve_in_thread(lambda _port: rec.app()) as base_url:
        rec.base_url = base_url
        yield rec


async def run_jobs(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Run every job due now (the worker's own code); returns how many ran."""
    return await drain(sessions, settings)


async def new_endpoint(
    sessions: async_sessionmaker[AsyncSession],
    url: str,
    *,
    tenant_id: str = "ten_a",
    mode: str = "test",
    events: tuple[str, ...] = ("*",),
) -> WebhookEndpoint:
    async with unit_of_work(sessions) as s:
        return await service.create_endpoint(
            s,
            tenant_id=tenant_id,
            mode=mode,
            url=url,
            enabled_events=events,
            allow_internal=True,  # the receivers listen on 127.0.0.1
        )


async def emit(
    sessions: async_sessionmaker[AsyncSession],
    *,
    tenant_id: str = "ten_a",
    mode: str = "test",
    type: str = "payment.completed",
    data: dict[str, Any] | None = None,
) -> str:
    async with unit_of_work(sessions) as s:
        event = await service.emit(
            s,
            tenant_id=tenant_id,
            mode=mode,
            type=type,
            data=data or {"id": "pay_1", "amount": 500_000, "currency": "NGN"},
        )
        return event.id


async def rows(sessions: async_sessionmaker[AsyncSession], model: type[Any], **where: Any) -> Any:
    async with sessions() as s:
        stmt = select(model).filter_by(**where).order_by(model.id)
        return list((await s.execute(stmt)).scalars())


async def endpoint(sessions: async_sessionmaker[AsyncSession], endpoint_id: str) -> Any:
    async with sessions() as s:
        return await s.get(WebhookEndpoint, endpoint_id)


async def delivery_of(sessions: async_sessionmaker[AsyncSession], event_id: str) -> Delivery:
    [found] = await rows(sessions, Delivery, event_id=event_id)
    return found  # type: ignore[no-any-return]


async def attempts_of(sessions: async_sessionmaker[AsyncSession], event_id: str) -> list[Attempt]:
    return await rows(sessions, Attempt, event_id=event_id)  # type: ignore[no-any-return]


async def jobs_named(sessions: async_sessionmaker[AsyncSession], name: str) -> list[Job]:
    return await rows(sessions, Job, name=name)  # type: ignore[no-any-return]
