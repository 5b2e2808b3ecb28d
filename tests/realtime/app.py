"""The platform app with realtime mounted, as ``kro.app`` wires it, plus a test-only endpoint.

``create_realtime_app(settings)`` also serves as a uvicorn factory for the two-process test
(``uvicorn tests.realtime.app:create_realtime_app --factory``, settings from ``KRO_*``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

import kro.realtime.tasks  # noqa: F401 - registers realtime.emit for the in-process worker
from kro.app import create_app
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.realtime import mount_realtime, publish
from kro.settings import Settings, get_settings

router = APIRouter()


class PublishIn(BaseModel):
    user_ids: list[str]
    event: str
    data: dict[str, Any]
    dedupe_key: str


@router.post("/_test/realtime/publish")
async def publish_event(body: PublishIn, session: DbSession) -> Envelope[dict[str, str | None]]:
    """Publish through the outbox, as a service would in its own transaction."""
    job = await publish(session, body.user_ids, body.event, body.data, dedupe_key=body.dedupe_key)
    return ok({"job_id": job.id if job else None})


def create_realtime_app(settings: Settings | None = None) -> FastAPI:
    """``create_app`` with the test endpoint; with ``mount_realtime`` and
    ``realtime.running()`` in the lifespan too, if ``create_app`` does not do it yet."""
    settings = settings or get_settings()
    app = create_app(settings)
    if getattr(app.state, "realtime", None) is None:  # until kro.app mounts it itself
        realtime = mount_realtime(app, settings)
        platform_lifespan = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
            async with realtime.running(), platform_lifespan(a) as state:
                yield state

        app.router.lifespan_context = lifespan
    app.include_router(router)
    return app
