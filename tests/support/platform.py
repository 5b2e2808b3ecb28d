"""The whole platform under a real uvicorn server: API, sandbox Paystack, in-process worker.

Everything crosses real HTTP: our adapter calls the sandbox, the sandbox posts signed webhooks
back to ``/v1/webhooks/paystack``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from kro.app import create_app
from kro.settings import Settings
from tests.support.server import free_port, serve_in_thread

SECRET_KEY = "sk_test_kro_platform_tests_000000000000000"


@dataclass
class Platform:
    base_url: str
    settings: Settings

    @property
    def sandbox(self) -> str:
        return f"{self.base_url}/sandbox/paystack"


@contextmanager
def run_platform(db_url: str, sandbox_db_url: str, **overrides: Any) -> Iterator[Platform]:
    """Serve ``create_app`` on a free port with a fast worker and a fast sandbox."""
    port = free_port()
    settings = Settings(
        env="test",
        port=port,
        database_url=db_url,
        sandbox_database_url=sandbox_db_url,
        paystack_secret_key=SECRET_KEY,
        worker_poll_interval=0.05,
        **{"storage_path": sandbox_db_url.rsplit("/", 1)[0].split(":///", 1)[-1] + "/files"}
        | overrides,
    )
    with serve_in_thread(lambda _: create_app(settings), port=port) as base_url:
        yield Platform(base_url, settings)


async def eventually(check: Callable[[], Any], within: float = 20.0) -> Any:
    """Await ``check()`` (sync or async) until truthy; AssertionError after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


async def sandbox_pay(http: httpx.AsyncClient, authorization_url: str) -> None:
    """Click *Pay* on the sandbox's hosted checkout (its programmatic equivalent)."""
    r = await http.post(f"{authorization_url}/pay")
    assert r.status_code == 200, r.text
