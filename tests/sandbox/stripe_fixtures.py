"""Helpers for the Stripe sandbox and adapter tests: a real uvicorn server running
``create_app(config)`` on a temporary SQLite file (two accounts), the official SDK pointed at
it, and the webhook receiver of ``tests.sandbox.providus_fixtures``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import stripe

from kro.providers.base import Credentials
from kro.providers.stripe import StripeGateway
from kro.sandbox.stripe import StripeAccount, StripeSandboxConfig, create_app
from tests.support.server import free_port, serve_in_thread

SECRET_KEY = "sk_test_stripe_tests_000000000000000001"
WEBHOOK_SECRET = "whsec_stripe_tests_000000000000000001"
MAIN = StripeAccount(
    account_id="acct_1TestsMain000001",
    secret_key=SECRET_KEY,
    publishable_key="pk_test_stripe_tests_000000000000000001",
    webhook_secret=WEBHOOK_SECRET,
)
OTHER = StripeAccount(
    account_id="acct_1TestsOther00002",
    secret_key="sk_test_stripe_other_000000000000000002",
    publishable_key="pk_test_stripe_other_000000000000000002",
    webhook_secret="whsec_stripe_other_000000000000000002",
)


@dataclass
class StripeServer:
    """A running sandbox at ``url`` (also the SDK's api base)."""

    url: str
    config: StripeSandboxConfig

    def control(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10.0)

    def sdk(self, account: StripeAccount = MAIN, *, timeout: float = 10.0) -> stripe.StripeClient:
        """The official SDK (async over httpx) pointed at the sandbox, no retries."""
        return stripe.StripeClient(
            account.secret_key,
            base_addresses={"api": self.url},
            http_client=stripe.HTTPXClient(timeout=timeout),
            max_network_retries=0,
        )

    def gateway(self, account: StripeAccount = MAIN, *, timeout: float = 10.0) -> StripeGateway:
        return StripeGateway(
            self.url,
            Credentials(secret_key=account.secret_key, webhook_secret=account.webhook_secret),
            timeout=timeout,
        )

    async def webhooks(self, **params: str) -> list[dict[str, Any]]:
        async with self.control() as http:
            r = await http.get("/_sandbox/webhooks", params=params)
        assert r.status_code == 200, r.text
        rows: list[dict[str, Any]] = r.json()["data"]
        return rows

    async def page(self, pi_id: str, action: str, **query: str) -> dict[str, Any]:
        """Press *Pay* or *Decline* on the hosted page of ``pi_id`` (JSON answer)."""
        async with self.control() as http:
            r = await http.post(f"/pay/{pi_id}/{action}", params=query)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def tick(self) -> dict[str, Any]:
        async with self.control() as http:
            r = await http.post("/_sandbox/tick")
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    async def faults(self, **settings: Any) -> None:
        async with self.control() as http:
            r = await http.put("/_sandbox/faults", json=settings)
        assert r.status_code == 200, r.text


def sandbox_config(
    db_path: Path, webhook_url: str, port: int, **overrides: Any
) -> StripeSandboxConfig:
    """A config with a fast loop, a short retry schedule and refunds that settle at once."""
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{db_path}",
        "accounts": [MAIN, OTHER],
        "public_base_url": f"http://127.0.0.1:{port}",
        "webhook_url": webhook_url,
        "poll_interval": 0.05,
        "startup_delay": 0.0,
        "webhook_retry_schedule": (0.3, 0.3),
        "webhook_timeout": 5.0,
        "refund_settle_delay": 0.0,
    }
    values.update(overrides)
    return StripeSandboxConfig(**values)


@contextmanager
def run_sandbox(
    db_path: Path, webhook_url: str = "", *, port: int | None = None, **overrides: Any
) -> Iterator[StripeServer]:
    """The sandbox under uvicorn (on ``port``, else a free one) until the block ends."""
    port = port or free_port()
    config = sandbox_config(db_path, webhook_url, port, **overrides)
    with serve_in_thread(lambda _port: create_app(config), port=port) as url:
        yield StripeServer(url, config)
