"""Helpers for the Flutterwave sandbox and adapter tests: a real uvicorn server running
``create_app(config)`` on a temporary SQLite file, a webhook receiver whose replies a test can
script (``tests.sandbox.providus_fixtures.Receiver``), and the pytest fixtures
``flw_receiver`` and ``flutterwave`` (import them into a test module to use them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kro.providers.base import Credentials
from kro.providers.flutterwave import FlutterwaveClient, FlutterwaveGateway
from kro.sandbox.flutterwave import FlutterwaveMerchant, FlutterwaveSandboxConfig, create_app
from tests.sandbox.providus_fixtures import Receiver, run_receiver
from tests.support.server import free_port, serve_in_thread

SECRET_KEY = "FLWSECK_TEST-kro0tests0000000000000000000001-X"
PUBLIC_KEY = "FLWPUBK_TEST-kro0tests0000000000000000000001-X"
SECRET_HASH = "kro-tests-flutterwave-secret-hash-0001"
ACCOUNT_ID = 4242
OTHER = FlutterwaveMerchant(
    secret_key="FLWSECK_TEST-kro0other0merchant000000000000-X",
    public_key="FLWPUBK_TEST-kro0other0merchant000000000000-X",
    secret_hash="other-merchant-secret-hash",
    business_name="Other Merchant",
    account_id=4343,
)
CREDENTIALS = Credentials(secret_key=SECRET_KEY, webhook_secret=SECRET_HASH, public_key=PUBLIC_KEY)
PAGE_SIZE = 3


@dataclass
class FlutterwaveServer:
    url: str
    config: FlutterwaveSandboxConfig

    def control(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10.0)

    def client(self, secret_key: str = SECRET_KEY) -> FlutterwaveClient:
        return FlutterwaveClient(self.url, secret_key, timeout=10.0)

    def gateway(
        self, credentials: Credentials = CREDENTIALS, *, timeout: float = 10.0
    ) -> FlutterwaveGateway:
        return FlutterwaveGateway(self.url, credentials, timeout=timeout)

    async def webhooks(self, **params: str) -> list[dict[str, Any]]:
        async with self.control() as http:
            body = (await http.get("/_sandbox/webhooks", params=params)).json()
        assert body["status"] == "success", body
        rows: list[dict[str, Any]] = body["data"]
        return rows

    async def act(self, key: str, action: str = "pay") -> dict[str, Any]:
        """The customer pays (or is declined on) transaction ``key`` (id, tx_ref or token)."""
        async with self.control() as http:
            r = await http.post(f"/_sandbox/transactions/{key}/{action}")
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    async def faults(self, **settings: Any) -> None:
        async with self.control() as http:
            r = await http.put("/_sandbox/faults", json=settings)
        assert r.status_code == 200, r.text


def sandbox_config(
    db_path: Path, webhook_url: str, port: int, **overrides: Any
) -> FlutterwaveSandboxConfig:
    """A fast loop, a short retry schedule (0.3 s, 0.3 s), refunds pending for 0.3 s and
    pages of :data:`PAGE_SIZE`."""
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{db_path}",
        "merchants": [
            FlutterwaveMerchant(
                secret_key=SECRET_KEY,
                public_key=PUBLIC_KEY,
                secret_hash=SECRET_HASH,
                business_name="Ada's Shop",
                account_id=ACCOUNT_ID,
            ),
            OTHER,
        ],
        "public_base_url": f"http://127.0.0.1:{port}",
        "webhook_url": webhook_url,
        "poll_interval": 0.05,
        "startup_delay": 0.0,
        "webhook_retry_schedule": (0.3, 0.3),
        "webhook_timeout": 5.0,
        "refund_delay": 0.3,
        "list_page_size": PAGE_SIZE,
    }
    values.update(overrides)
    return FlutterwaveSandboxConfig(**values)


@contextmanager
def run_sandbox(
    db_path: Path, webhook_url: str, *, port: int | None = None, **overrides: Any
) -> Iterator[FlutterwaveServer]:
    """The sandbox under uvicorn (on ``port``, else a free one) until the block ends."""
    port = port or free_port()
    config = sandbox_config(db_path, webhook_url, port, **overrides)
    with serve_in_thread(lambda _port: create_app(config), port=port) as url:
        yield FlutterwaveServer(url, config)


@pytest.fixture
def flw_receiver() -> Iterator[Receiver]:
    with run_receiver() as receiver:
        yield receiver


@pytest.fixture
def flutterwave(tmp_path: Path, flw_receiver: Receiver) -> Iterator[FlutterwaveServer]:
    with run_sandbox(tmp_path / "flutterwave.db", flw_receiver.url) as server:
        yield server
