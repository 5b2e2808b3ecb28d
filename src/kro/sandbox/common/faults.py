"""The fault switch every payment simulator has: make the provider slow, flaky or down.

Tests and the demo set it over HTTP (``PUT /_sandbox/faults``), so the adapters meet the
failures real providers have, in the two kinds that matter to failover (DESIGN.md section 5):

- **before the provider accepted the request** — ``down`` (every API call answers
  ``down_status``, 503 by default) and ``error_rate`` (that share of calls answers
  ``error_status``, 503 by default) — nothing happened at the provider; safe to try another;
- **after it accepted** — ``timeout_rate``: that share of calls is carried out, then the answer
  is held back ``timeout_seconds`` (longer than any client waits): the outcome is unknown to the
  caller, who must reconcile, never resend.

``latency_ms`` delays every call before it is handled. Paths under ``exempt`` (the control
endpoints, a hosted checkout page) are never faulted. The switch lives in the simulator's
process: one per :class:`Faults` object.

Rates are probabilities between 0 and 1 (not money).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class FaultSettings(BaseModel):
    """What ``PUT /_sandbox/faults`` takes and ``GET`` shows."""

    model_config = ConfigDict(extra="forbid")

    down: bool = False
    down_status: int = Field(503, ge=500, le=599)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    error_status: int = Field(503, ge=500, le=599)
    timeout_rate: float = Field(0.0, ge=0.0, le=1.0)
    timeout_seconds: float = Field(60.0, ge=0.0, le=600.0)
    latency_ms: int = Field(0, ge=0, le=60_000)


class Faults:
    """The current :class:`FaultSettings` of one simulator (none at first)."""

    def __init__(self, *, seed: int | None = None) -> None:
        self.settings = FaultSettings()
        self._random = random.Random(seed)  # noqa: S311 - fault injection, not secrets

    def set(self, settings: FaultSettings) -> FaultSettings:
        self.settings = settings
        return settings

    def clear(self) -> FaultSettings:
        return self.set(FaultSettings())

    def roll(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate


ErrorBody = Callable[[int], dict[str, Any]]
"""``(HTTP status) -> body`` in the provider's error shape."""


class FaultMiddleware:
    """ASGI middleware applying ``faults`` to every request outside ``exempt`` path prefixes
    (relative to the simulator's root, e.g. ``"/_sandbox"``). ``error_body`` shapes the
    answer of ``down`` and ``error_rate`` faults."""

    def __init__(
        self, app: ASGIApp, *, faults: Faults, error_body: ErrorBody, exempt: tuple[str, ...]
    ) -> None:
        self.app = app
        self.faults = faults
        self.error_body = error_body
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._exempt(scope):
            await self.app(scope, receive, send)
            return
        settings = self.faults.settings
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        if settings.down:
            await self._error(send, settings.down_status)
            return
        if self.faults.roll(settings.error_rate):
            await self._error(send, settings.error_status)
            return
        if self.faults.roll(settings.timeout_rate):
            await self._late(scope, receive, send, settings.timeout_seconds)
            return
        await self.app(scope, receive, send)

    def _exempt(self, scope: Scope) -> bool:
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        return any(path.startswith(prefix) for prefix in self.exempt)

    async def _error(self, send: Send, status: int) -> None:
        body = json.dumps(self.error_body(status)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _late(self, scope: Scope, receive: Receive, send: Send, delay: float) -> None:
        """Carry the request out, then hold the answer back ``delay`` seconds."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(delay)
        for message in held:
            await send(message)


def build_faults_router(faults: Faults) -> APIRouter:
    """``GET|PUT|DELETE /_sandbox/faults``: read, replace or clear the fault switch. Answers
    ``{"faults": {...}}`` (control endpoints are ours, not the provider's)."""
    router = APIRouter(prefix="/_sandbox", tags=["sandbox faults"])

    @router.get("/faults")
    async def get_faults() -> dict[str, Any]:
        return {"faults": faults.settings.model_dump()}

    @router.put("/faults")
    async def put_faults(settings: FaultSettings) -> dict[str, Any]:
        return {"faults": faults.set(settings).model_dump()}

    @router.delete("/faults")
    async def delete_faults() -> dict[str, Any]:
        return {"faults": faults.clear().model_dump()}

    return router


def install_faults(
    app: Any, faults: Faults, *, error_body: ErrorBody, exempt: tuple[str, ...] = ("/_sandbox",)
) -> None:
    """Add the fault middleware and the ``/_sandbox/faults`` endpoints to a simulator's app."""
    app.include_router(build_faults_router(faults))
    app.add_middleware(FaultMiddleware, faults=faults, error_body=error_body, exempt=exempt)
