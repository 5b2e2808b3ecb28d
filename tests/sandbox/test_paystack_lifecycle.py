"""The sandbox as a process: state survives a restart; it mounts under a host app (as in
``kro serve``, where the host enters ``running()`` because a sub-app's lifespan never runs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request

from kro.providers.paystack import PaystackClient
from kro.sandbox.paystack import PaystackSandbox, PaystackSandboxConfig, create_app
from tests.sandbox.paystack_fixtures import (
    SECRET_KEY,
    SandboxServer,
    eventually,
    sandbox_config,
    tx_ref,
)
from tests.support.server import serve_in_thread


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "dir" / "sandbox.db"  # the directory is created on start
    ref = tx_ref()

    def factory(port: int) -> Any:
        return create_app(sandbox_config(db, port, ""))

    with serve_in_thread(factory) as url:
        async with PaystackClient(url, SECRET_KEY) as client:
            init = await client.initialize_transaction("keep@example.com", 90_000, "NGN", ref)
    with serve_in_thread(factory) as url:
        async with httpx.AsyncClient() as browser:
            paid = await browser.post(f"{url}/checkout/{init.access_code}/pay")
        assert paid.json()["data"]["status"] == "success"
        async with PaystackClient(url, SECRET_KEY) as client:
            assert (await client.verify_transaction(ref)).status == "success"


async def test_mounted_under_a_host_app(tmp_path: Path) -> None:
    received: list[bytes] = []

    def host(port: int) -> FastAPI:
        base = f"http://127.0.0.1:{port}"
        config = PaystackSandboxConfig(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'mounted.db'}",
            secret_keys=[SECRET_KEY],
            public_base_url=f"{base}/sandbox/paystack",
            webhook_url=f"{base}/v1/webhooks/paystack",
            poll_interval=0.05,
            startup_delay=0.1,
        )
        sandbox = PaystackSandbox(config)

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            async with sandbox.running():
                yield

        app = FastAPI(lifespan=lifespan)

        @app.post("/v1/webhooks/paystack")
        async def inbox(request: Request) -> dict[str, bool]:
            received.append(await request.body())
            return {"ok": True}

        app.mount("/sandbox/paystack", sandbox.app)
        return app

    with serve_in_thread(host) as url:
        async with PaystackClient(f"{url}/sandbox/paystack", SECRET_KEY) as client:
            ref = tx_ref()
            init = await client.initialize_transaction("mount@example.com", 10_000, "NGN", ref)
            assert init.authorization_url.startswith(f"{url}/sandbox/paystack/checkout/")
            async with httpx.AsyncClient() as browser:
                assert (await browser.get(init.authorization_url)).status_code == 200
            await pay_at(init.authorization_url)
            assert (await client.verify_transaction(ref)).succeeded
            await eventually(lambda: received)


async def pay_at(authorization_url: str) -> None:
    async with httpx.AsyncClient() as browser:
        assert (await browser.post(f"{authorization_url}/pay")).status_code == 200


async def test_requests_before_running_get_503(tmp_path: Path) -> None:
    sandbox = PaystackSandbox(
        PaystackSandboxConfig(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    )
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.get(
            "/transaction/verify/x",
            headers={"Authorization": f"Bearer {sandbox.config.secret_keys[0]}"},
        )
    assert response.status_code == 503
    assert response.json() == {"status": False, "message": "Sandbox is not running"}


async def test_unknown_path_keeps_paystacks_envelope(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        response = await client.get("/no/such/path")
    assert response.status_code == 404 and response.json()["status"] is False
