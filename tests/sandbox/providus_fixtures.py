"""Helpers for the Providus sandbox, adapter and bank-transfer tests: a real uvicorn server
running ``create_app(config)`` on a temporary SQLite file, and a notification receiver whose
replies a test can script.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kro.sandbox.providus import ProvidusSandboxConfig, create_app
from tests.support.server import serve_in_thread

CLIENT_ID = "dGVzdF9Qcm92aWR1cw=="
CLIENT_SECRET = "providus-test-client-secret-0001"
OTHER_ID = "b3RoZXJfbWVyY2hhbnQ="
OTHER_SECRET = "other-merchant-secret"

ACK = (200, {"requestSuccessful": True, "responseMessage": "success", "responseCode": "00"})


@dataclass
class Received:
    """One notification POST as the receiver saw it (raw bytes and headers)."""

    body: bytes
    headers: dict[str, str]

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """A merchant endpoint that records every POST and answers the scripted ``replies`` first
    (``(status, body)``; ``body`` bytes are sent raw), then ``ACK``."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    replies: list[tuple[int, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self._lock:
                self.requests.append(Received(body, dict(request.headers)))
                status, reply = self.replies.pop(0) if self.replies else ACK
            if isinstance(reply, bytes):
                return Response(reply, status_code=status)
            return JSONResponse(reply, status_code=status)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])

    def for_settlement(self, settlement_id: str) -> list[Received]:
        with self._lock:
            got = list(self.requests)
        return [r for r in got if r.payload.get("settlementId") == settlement_id]


@dataclass
class ProvidusServer:
    url: str
    config: ProvidusSandboxConfig

    def control(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10.0)

    async def transfer(self, account_number: str, amount: int, **extra: Any) -> dict[str, Any]:
        """A customer's transfer (kobo) into ``account_number``; the settlement as reported."""
        async with self.control() as client:
            r = await client.post(
                "/_sandbox/transfers",
                json={"account_number": account_number, "amount": amount, **extra},
            )
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    async def notifications(self, **params: str) -> list[dict[str, Any]]:
        async with self.control() as client:
            body = (await client.get("/_sandbox/notifications", params=params)).json()
        assert body["responseCode"] == "00", body
        rows: list[dict[str, Any]] = body["data"]
        return rows


def sandbox_config(db_path: Path, notification_url: str, **overrides: Any) -> ProvidusSandboxConfig:
    """A config with a fast loop and a short retry schedule (0.3 s, 0.3 s)."""
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{db_path}",
        "clients": {CLIENT_ID: CLIENT_SECRET, OTHER_ID: OTHER_SECRET},
        "notification_url": notification_url,
        "poll_interval": 0.05,
        "startup_delay": 0.0,
        "notification_retry_schedule": (0.3, 0.3),
        "notification_timeout": 5.0,
    }
    values.update(overrides)
    return ProvidusSandboxConfig(**values)


@contextmanager
def run_sandbox(
    db_path: Path, notification_url: str, *, port: int | None = None, **overrides: Any
) -> Iterator[ProvidusServer]:
    """The sandbox under uvicorn (on ``port``, else a free one) until the block ends."""
    config = sandbox_config(db_path, notification_url, **overrides)
    with serve_in_thread(lambda _port: create_app(config), port=port) as url:
        yield ProvidusServer(url, config)


@contextmanager
def run_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    with serve_in_thread(lambda _port: receiver.app()) as url:
        receiver.url = f"{url}/hook"
        yield receiver
