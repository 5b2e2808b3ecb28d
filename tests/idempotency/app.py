"""The platform plus test-only idempotent routes: a slow create (to hold a key while a twin
arrives) and one that fails with an unhandled error a set number of times.

Served by ``uvicorn tests.idempotency.app:create_test_app --factory`` in the process tests.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, FastAPI, status
from pydantic import BaseModel

from kro.app import create_app
from kro.idempotency.routing import IdempotentRoute
from kro.identity.dependencies import ApiKeyIdempotency, CurrentTenant, CurrentUser
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.ids import new_id
from kro.settings import Settings
from kro.tenants import service
from kro.tenants.dependencies import UserIdempotency
from kro.tenants.schemas import TenantOut

FAILURES = {"left": 0}  # unhandled errors the next calls of /v1/test/flaky-tenants raise


class SlowIn(BaseModel):
    name: str
    delay: float = 0.0


def create_test_app(settings: Settings | None = None) -> FastAPI:
    app = create_app(settings)
    router = APIRouter(prefix="/v1/test", route_class=IdempotentRoute)

    @router.post(
        "/slow-tenants", status_code=status.HTTP_201_CREATED, dependencies=[UserIdempotency]
    )
    async def slow_tenant(
        body: SlowIn, user: CurrentUser, session: DbSession
    ) -> Envelope[TenantOut]:
        await asyncio.sleep(body.delay)
        return ok(TenantOut.of(await service.create_tenant(session, user, body.name, ip=None)))

    @router.post(
        "/flaky-tenants", status_code=status.HTTP_201_CREATED, dependencies=[UserIdempotency]
    )
    async def flaky_tenant(
        body: SlowIn, user: CurrentUser, session: DbSession
    ) -> Envelope[TenantOut]:
        ms = await service.create_tenant(session, user, body.name, ip=None)
        if FAILURES["left"] > 0:
            FAILURES["left"] -= 1
            raise RuntimeError("unexpected failure after a write")
        return ok(TenantOut.of(ms))

    @router.post("/charges", status_code=status.HTTP_201_CREATED, dependencies=[ApiKeyIdempotency])
    async def charge(body: SlowIn, ctx: CurrentTenant) -> Envelope[dict[str, str]]:
        """A stand-in for a merchant-API create: a fresh id each time it really runs."""
        return ok({"id": new_id("chg"), "tenant_id": ctx.tenant_id, "mode": ctx.mode})

    app.include_router(router)
    return app
