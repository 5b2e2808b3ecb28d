"""Outgoing HTTP: one httpx client factory with explicit timeouts (DESIGN.md section 2)."""

from __future__ import annotations

import asyncio
import weakref

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)


def make_client(
    base_url: str = "", *, headers: dict[str, str] | None = None, timeout: float | None = None
) -> httpx.AsyncClient:
    """An AsyncClient with explicit timeouts; ``timeout`` overrides the read timeout (seconds)."""
    t = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout, connect=5.0)
    return httpx.AsyncClient(base_url=base_url, headers=headers or {}, timeout=t)


_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def shared_client() -> httpx.AsyncClient:
    """One pooled client per event loop, for calls that would otherwise build a client each
    (an SSL context and its CA bundle cost ~20 ms; a new TCP+TLS connection more). Callers
    pass their own timeout per request and never close it; it lives as long as its loop."""
    loop = asyncio.get_running_loop()
    client = _SHARED.get(loop)
    if client is None or client.is_closed:
        client = _SHARED[loop] = make_client()
    return client
