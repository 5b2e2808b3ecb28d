"""A tiny HTTP client for the demos: unwraps the envelope and fails loudly."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


class DemoFailure(Exception):
    """A state, balance or invariant is not what it must be."""


class Api:
    """Calls ``base_url`` with an optional bearer token; returns the envelope's ``data``."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=30.0)
        self.token = token
        self.last_meta: dict[str, Any] = {}

    def as_user(self, token: str) -> Api:
        api = Api(self.base_url, token)
        api.http = self.http
        return api

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        expect: int | tuple[int, ...] = (200, 201, 202),
    ) -> Any:
        hdrs = dict(headers or {})
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        r = self.http.request(method, path, json=json, headers=hdrs)
        wanted = (expect,) if isinstance(expect, int) else expect
        if r.status_code not in wanted:
            raise DemoFailure(f"{method} {path} -> {r.status_code}: {r.text[:500]}")
        body = r.json()
        if not body.get("success"):
            raise DemoFailure(f"{method} {path} -> {body}")
        self.last_meta = body.get("meta") or {}
        return body["data"]

    def server_time(self) -> float:
        """The server's clock (Unix seconds) from the last response's ``meta.timestamp``;
        a development server's clock may have been moved."""
        from datetime import datetime

        stamp = str(self.last_meta.get("timestamp", "")).replace("Z", "+00:00")
        return datetime.fromisoformat(stamp).timestamp() if stamp else time.time()

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, json=json, **kw)


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll ``check`` until it returns a truthy value; DemoFailure after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoFailure(f"timed out waiting for {what}")
        time.sleep(0.25)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise DemoFailure(message)
