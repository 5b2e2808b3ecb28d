"""The fault switch every messaging simulator has: ``/_sandbox/faults`` on its own mount.

- ``GET /_sandbox/faults`` → ``{"provider", "down", "error_rate", "latency"}``
- ``PUT /_sandbox/faults`` (or ``POST``) with any of ``down`` (bool), ``error_rate`` (0..1),
  ``latency`` (seconds, 0..120) → the new state
- ``DELETE /_sandbox/faults`` → healthy again

The state lives in the sandbox database, so every process serving the sandbox sees it. Faults
apply to the provider's API paths only, never to ``/_sandbox``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.sandbox.messaging.models import ProviderFault

if TYPE_CHECKING:
    from kro.sandbox.messaging.app import MessagingSandbox

ErrorResponse = Callable[[int, str], Response]
"""Builds the provider's own error answer for an HTTP status and a message."""


class FaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    down: bool | None = None
    error_rate: float | None = Field(None, ge=0.0, le=1.0)
    latency: float | None = Field(None, ge=0.0, le=120.0)


def fault_data(provider: str, row: ProviderFault | None) -> dict[str, Any]:
    return {
        "provider": provider,
        "down": bool(row.down) if row else False,
        "error_rate": float(row.error_rate) if row else 0.0,
        "latency": float(row.latency) if row else 0.0,
    }


def build_faults_router(sandbox: MessagingSandbox, provider: str) -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=[f"{provider} sandbox control"])

    @router.get("/faults")
    async def get_faults() -> dict[str, Any]:
        async with unit_of_work(sandbox.sessions) as session:
            return fault_data(provider, await session.get(ProviderFault, provider))

    @router.api_route("/faults", methods=["PUT", "POST"])
    async def set_faults(body: FaultsIn) -> dict[str, Any]:
        async with unit_of_work(sandbox.sessions) as session:
            row = await session.get(ProviderFault, provider)
            if row is None:
                row = ProviderFault(provider=provider, down=False, error_rate=0.0, latency=0.0)
                session.add(row)
            for field in ("down", "error_rate", "latency"):
                value = getattr(body, field)
                if value is not None:
                    setattr(row, field, value)
            row.updated_at = utcnow()
            await session.flush()
            return fault_data(provider, row)

    @router.delete("/faults")
    async def clear_faults() -> dict[str, Any]:
        async with unit_of_work(sandbox.sessions) as session:
            row = await session.get(ProviderFault, provider)
            if row is not None:
                await session.delete(row)
            return fault_data(provider, None)

    return router


def install_faults(
    app: FastAPI, sandbox: MessagingSandbox, provider: str, error_response: ErrorResponse
) -> None:
    """Apply the switch to every API call of ``app``; answer errors in the provider's shape."""

    @app.middleware("http")
    async def faults(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if "/_sandbox/" not in request.url.path:
            async with unit_of_work(sandbox.sessions) as session:
                row = await session.get(ProviderFault, provider)
            if row is not None:
                if row.latency > 0:
                    await asyncio.sleep(row.latency)
                if row.down:
                    return error_response(503, "Service Unavailable")
                if row.error_rate > 0 and random.random() < row.error_rate:  # noqa: S311
                    return error_response(500, "Internal Server Error")
        return await call_next(request)


def json_error(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status)
