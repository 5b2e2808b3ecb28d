"""The request-id middleware (plain ASGI): every answer carries ``X-Request-ID`` — the
caller's when it is safe, a new ``req_…`` otherwise — and the same id in ``meta``; an
unexpected error is the enveloped 500 with its id; a NUL in the path or query is a 400."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from kro.kit import api
from kro.kit.api import Envelope, ok


def _app() -> FastAPI:
    app = FastAPI()
    api.install(app)

    @app.get("/ok")
    async def fine() -> Envelope[str]:
        return ok("fine")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    return app


async def test_request_ids_errors_and_nul() -> None:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        r = await http.get("/ok", headers={"X-Request-ID": "trace-42"})
        assert r.headers["x-request-id"] == "trace-42" == r.json()["meta"]["request_id"]
        r = await http.get("/ok", headers={"X-Request-ID": "bad id\r\n"})
        assert r.headers["x-request-id"].startswith("req_")
        assert r.json()["meta"]["request_id"] == r.headers["x-request-id"]
        r = await http.get("/boom")
        assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
        assert r.json()["meta"]["request_id"] == r.headers["x-request-id"]
        r = await http.get("/ok", params={"q": "a\x00b"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"
        assert r.headers["x-request-id"].startswith("req_")
        r = await http.get("/missing")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        assert r.headers["x-request-id"].startswith("req_")
