"""Helpers for the Fincra sandbox, adapter and checkout tests: a real uvicorn server running
``create_app(config)`` on a temporary SQLite file, and a webhook receiver whose replies a test
can script (``tests.sandbox.providus_fixtures.Receiver``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kro.providers.fincra import FincraClient
from kro.sandbox.fincra import FincraMerchant, FincraSandboxConfig, create_app
from tests.support.server import free_port, serve_in_thread

SECRET_KEY = "sk_test_fincra_tests_0000000000000000000001"
PUBLIC_KEY = "pk_test_fincra_tests_0000000000000000000001"
BUSINESS_ID = "65a0c0ffee0000000000b001"
WEBHOOK_SECRET = "fincra-tests-webhook-secret-0001"
OTHER = FincraMerchant(
    business_id="65a0c0ffee0000000000b002",
    secret_key="sk_test_fincra_other_merchant",
    public_key="pk_test_fincra_other_merchant",
    webhook_secret="other-webhook-secret",
)


@dataclass
class FincraServer:
    url: str
    config: FincraSandboxConfig

    def control(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10.0)

    def client(self) -> FincraClient:
        return FincraClient(self.url, SECRET_KEY, PUBLIC_KEY, BUSINESS_ID, timeout=10.0)

    async def webhooks(self, **params: str) -> list[dict[str, Any]]:
        async with self.control() as http:
            body = (await http.get("/_sandbox/webhooks", params=params)).json()
        assert body["status"] is True, body
        rows: list[dict[str, Any]] = body["data"]
        return rows

    async def pay(self, reference: str, **body: Any) -> dict[str, Any]:
        """The customer pays ``reference`` (control endpoint; ``amount`` in minor units)."""
        async with self.control() as http:
            r = await http.post(f"/_sandbox/checkouts/{reference}/pay", json=body)
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        return data


def sandbox_config(
    db_path: Path, webhook_url: str, port: int, **overrides: Any
) -> FincraSandboxConfig:
    """A config with a fast loop and a short retry schedule (0.3 s, 0.3 s)."""
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{db_path}",
        "merchants": [
            FincraMerchant(
                business_id=BUSINESS_ID,
                secret_key=SECRET_KEY,
                public_key=PUBLIC_KEY,
                webhook_secret=WEBHOOK_SECRET,
            ),
            OTHER,
        ],
        "public_base_url": f"http://127.0.0.1:{port}",
        "webhook_url": webhook_url,
        "poll_interval": 0.05,
        "startup_delay": 0.0,
        "webhook_retry_schedule": (0.3, 0.3),
        "webhook_timeout": 5.0,
    }
    values.update(overrides)
    return FincraSandboxConfig(**values)


@contextmanager
def run_sandbox(
    db_path: Path, webhook_url: str, *, port: int | None = None, **overrides: Any
) -> Iterator[FincraServer]:
    """The sandbox under uvicorn (on ``port``, else a free one) until the block ends."""
    port = port or free_port()
    config = sandbox_config(db_path, webhook_url, port, **overrides)
    with serve_in_thread(lambda _port: create_app(config), port=port) as url:
        yield FincraServer(url, config)
