"""Outgoing HTTP: one httpx client factory with explicit timeouts (DESIGN.md section 2)."""

from __future__ import annotations

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)


def make_client(
    base_url: str = "", *, headers: dict[str, str] | None = None, timeout: float | None = None
) -> httpx.AsyncClient:
    """An AsyncClient with explicit timeouts; ``timeout`` overrides the read timeout (seconds)."""
    t = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout, connect=5.0)
    return httpx.AsyncClient(base_url=base_url, headers=headers or {}, timeout=t)
