"""Outgoing HTTP: one httpx client factory with explicit timeouts (DESIGN.md section 2), the
pooled client that provider calls share, and which transport errors mean "never sent".

The shared client speaks through aiohttp (``httpx-aiohttp``'s transport) under httpx's API:
httpcore's pool re-examines every connection for each request it assigns, which at 32
concurrent provider calls cost ~2 ms of CPU per call against ~0.35 ms through aiohttp's
connector (3,000 POSTs to one local JSON server, 32 at a time, 2026-12-06).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
"""httpx's errors for a request that never left us, when they mean what they say (below)."""

_AIOHTTP_NOT_SENT = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
    aiohttp.InvalidURL,
)
"""aiohttp's errors raised before a request was written: connecting failed (refused, DNS,
TLS handshake) or timed out, or the URL was unusable."""


def not_sent(exc: BaseException | None) -> bool:
    """True when the transport error ``exc`` was raised before the request left us, so the
    provider cannot have acted on it (DESIGN.md section 5: safe to fail over).

    httpx-aiohttp turns *every* aiohttp connection error into ``httpx.ConnectTimeout``,
    including a connection lost after the request was written (``ServerDisconnectedError``,
    a reset while reading): for those the outcome is unknown. The aiohttp error it came from
    (``__cause__``) decides."""
    if not isinstance(exc, NOT_SENT):
        return False
    cause = exc.__cause__
    if isinstance(cause, aiohttp.ClientError):
        return isinstance(cause, _AIOHTTP_NOT_SENT)
    return True


class _Transport(AiohttpTransport):
    """httpx-aiohttp's transport, with the aiohttp errors it leaves unmapped (an answer that
    is not HTTP: ``ClientResponseError``…) raised as httpx's ``RemoteProtocolError`` — the
    request was sent — so callers handle one family of errors."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's own default context (certifi's CA bundle, or ``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR``), made once per process: making one loads the CA bundle, ~35 ms of CPU,
    which every new client paid."""
    return httpx.create_ssl_context()


def make_client(
    base_url: str = "", *, headers: dict[str, str] | None = None, timeout: float | None = None
) -> httpx.AsyncClient:
    """An AsyncClient with explicit timeouts; ``timeout`` overrides the read timeout (seconds).
    Its TLS context (verifying, httpx's default CAs) is the process's one."""
    t = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout, connect=5.0)
    return httpx.AsyncClient(
        base_url=base_url, headers=headers or {}, timeout=t, verify=_ssl_context()
    )


_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)

client_hooks: dict[str, Callable[[httpx.AsyncClient], None]] = {}
"""Called with each new shared client, by name (``"tracing"`` instruments it:
:mod:`kro.ops.tracing`; setting a name again replaces its hook)."""


_DIRECT: weakref.WeakKeyDictionary[httpx.AsyncClient, _Transport] = weakref.WeakKeyDictionary()
"""The shared clients' transports, which :func:`send` calls directly."""


def timeout(read: float) -> dict[str, float | None]:
    """A request's ``timeout`` extension: ``read`` seconds, connect and pool 5 s (what
    :func:`make_client` gives ``timeout=read``), in the form httpx transports take."""
    return httpx.Timeout(read, connect=5.0).as_dict()


async def send(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """Send ``request`` through ``client`` and read its body; the response is closed.

    ``request`` is built by the caller (``httpx.Request(..., extensions={"timeout":
    timeout(s)})``): the client's base URL and default headers are not applied. Through a
    :func:`shared_client`, the request goes straight to its aiohttp transport, past httpx's
    client layer — auth flow, redirect loop, cookie jar, its own ``HTTP Request`` log line —
    which held about 8 % of a ``POST /v1/payments``'s py-spy samples in an earlier profile
    (``bench/payments_api.py``, 2026-12-06); the transport (and any tracing hook on it) is
    the client's own. Any other client sends it as ``client.send`` would. Raises httpx's
    transport errors (:func:`not_sent` tells which never left)."""
    transport = _DIRECT.get(client)
    if transport is None or client.is_closed:
        return await client.send(request)
    response = await transport.handle_async_request(request)
    try:
        await response.aread()
    finally:
        await response.aclose()
    return response


def shared_client() -> httpx.AsyncClient:
    """One pooled client per event loop, over aiohttp's connector (see the module), for calls
    that would otherwise build a client each (an SSL context and its CA bundle cost ~20 ms; a
    new TCP+TLS connection more). Callers pass their own timeout per request and never close
    it; :func:`close_shared_client` does when the app stops. httpx's write timeout does not
    apply through this transport (connect, pool and read do)."""
    loop = asyncio.get_running_loop()
    client = _SHARED.get(loop)
    if client is None or client.is_closed:
        transport = _Transport()
        client = _SHARED[loop] = httpx.AsyncClient(transport=transport, timeout=DEFAULT_TIMEOUT)
        _DIRECT[client] = transport
        for hook in client_hooks.values():
            hook(client)
    return client


async def close_shared_client() -> None:
    """Close this event loop's shared client, if it has one (at shutdown); the next
    :func:`shared_client` opens a new one."""
    client = _SHARED.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``, closing the loop's shared client before the loop ends (command
    line entry points: the app's lifespan does it for a server)."""

    async def closing() -> T:
        try:
            return await main
        finally:
            await close_shared_client()

    return asyncio.run(closing())
