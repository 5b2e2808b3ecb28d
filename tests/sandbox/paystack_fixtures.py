"""Fixtures for the Paystack sandbox and adapter tests: a real uvicorn server running
``create_app(config)`` on a temporary SQLite file, and a local webhook receiver.

One sandbox and one receiver serve a whole test module (fast); tests use their own references
and filter what the receiver got by reference, so they stay independent.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kro.kit.ids import new_id
from kro.providers.paystack import PaystackClient
from kro.sandbox.paystack import PaystackSandboxConfig, create_app
from tests.support.server import serve_in_thread

SECRET_KEY = "sk_test_sandbox_fixture_key_0000000000000001"
OTHER_KEY = "sk_test_sandbox_fixture_key_0000000000000002"


@dataclass
class Received:
    """One webhook POST as the receiver saw it (raw bytes and headers)."""

    body: bytes
    headers: dict[str, str]
    answered: int

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """A webhook endpoint that records every POST and fails the next ``fail_next`` with 500."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    fail_next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self._lock:
                status = 500 if self.fail_next > 0 else 200
                self.fail_next = max(0, self.fail_next - 1)
                self.requests.append(Received(body, dict(request.headers), status))
            return Response(status_code=status)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])

    def for_reference(self, reference: str, event: str | None = None) -> list[Received]:
        with self._lock:
            got = list(self.requests)
        return [
            r
            for r in got
            if _reference_of(r.payload) == reference
            and (event is None or r.payload["event"] == event)
        ]


def _reference_of(payload: dict[str, Any]) -> Any:
    data = payload.get("data", {})
    return data.get("reference") or data.get("transaction_reference")


@dataclass
class SandboxServer:
    url: str
    config: PaystackSandboxConfig
    receiver: Receiver


def sandbox_config(
    db_path: Path, port: int, webhook_url: str, **overrides: Any
) -> PaystackSandboxConfig:
    """A config with a fast loop and a short retry schedule (0.3 s, 0.3 s)."""
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{db_path}",
        "secret_keys": [SECRET_KEY, OTHER_KEY],
        "public_base_url": f"http://127.0.0.1:{port}",
        "webhook_url": webhook_url,
        "poll_interval": 0.05,
        "startup_delay": 0.0,
        "transfer_settle_after": 0.2,
        "refund_process_after": 0.2,
        "webhook_retry_schedule": (0.3, 0.3),
        "webhook_timeout": 5.0,
    }
    values.update(overrides)
    return PaystackSandboxConfig(**values)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    with serve_in_thread(lambda _port: rec.app()) as url:
        rec.url = f"{url}/hook"
        yield rec


@pytest.fixture(scope="module")
def sandbox(
    receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxServer]:
    db_path = tmp_path_factory.mktemp("paystack") / "sandbox.db"
    holder: dict[str, PaystackSandboxConfig] = {}

    def factory(port: int) -> Any:
        holder["config"] = sandbox_config(db_path, port, receiver.url)
        return create_app(holder["config"])

    with serve_in_thread(factory) as url:
        yield SandboxServer(url, holder["config"], receiver)


@pytest.fixture
async def paystack(sandbox: SandboxServer) -> AsyncIterator[PaystackClient]:
    async with PaystackClient(sandbox.url, SECRET_KEY, timeout=10.0) as client:
        yield client


@pytest.fixture
async def http(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client on the sandbox, authenticated with the fixture's key."""
    headers = {"Authorization": f"Bearer {SECRET_KEY}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=headers, timeout=10.0) as client:
        yield client


def tx_ref() -> str:
    """A fresh transaction reference (alphanumerics and -)."""
    return new_id("tx").replace("_", "-")


def transfer_ref() -> str:
    """A fresh transfer reference (16-50 lower-case alphanumerics, - and _)."""
    return new_id("po")


async def eventually(
    check: Callable[[], Awaitable[Any]] | Callable[[], Any], *, within: float = 5.0
) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def pay(
    sandbox: SandboxServer, authorization_url: str, action: str = "pay"
) -> dict[str, Any]:
    """Pay (or decline) on the hosted checkout the programmatic way: a bare POST."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.post(f"{authorization_url}/{action}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
