"""Outgoing HTTP: one httpx client factory with explicit timeouts (DESIGN.md section 2), and
the shared client of provider calls with a lean HTTP/1.1 transport.

Every merchant payment makes one provider call, so its client-side cost counts: httpx's own
transport (httpcore: an anyio-based pool, h11 in pure Python) costs ~0.8 ms of CPU per call
here, :class:`KeepAliveTransport` (asyncio and the C parser ``httptools`` that uvicorn
already uses) ~0.1 ms, measured against the Paystack simulator. The client API stays httpx's,
so the adapters, their timeouts and their error classification do not change.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import weakref
from typing import cast

import httptools
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
    (an SSL context and its CA bundle cost ~20 ms; a new TCP+TLS connection more), on a
    :class:`KeepAliveTransport`. Callers pass their own timeout per request and never close
    it; it lives as long as its loop. Proxies from the environment still apply (httpx mounts
    its own transports for them)."""
    loop = asyncio.get_running_loop()
    client = _SHARED.get(loop)
    if client is None or client.is_closed:
        client = _SHARED[loop] = httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT, transport=KeepAliveTransport()
        )
    return client


Origin = tuple[str, str, int]
_Answer = tuple[int, bytes, list[tuple[bytes, bytes]], bytes, bool]


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over asyncio with keep-alive connections per origin; responses parsed by
    ``httptools``. Requests and responses are read whole (API calls, not downloads); HEAD and
    anything but ``http``/``https`` go to httpx's own transport.

    Errors are httpx's, as its transport raises them, so callers classify them alike:
    ``ConnectError``/``ConnectTimeout``/``PoolTimeout`` when nothing was sent (refused, DNS,
    TLS, no free connection within the pool timeout); once the request is written,
    ``ReadTimeout`` (no answer within the read timeout, which covers the whole exchange: a
    small request is written at once) or ``RemoteProtocolError`` (the server closed, or sent
    something that is not HTTP) — its outcome is unknown.

    ``ssl_context``: for ``https`` (default ``httpx.create_ssl_context()``, made once).
    ``max_connections``: requests in flight at once; ``max_idle``: connections kept per
    origin, each at most ``keepalive_expiry`` seconds (below servers' usual 5 s).
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 100,
        max_idle: int = 20,
        keepalive_expiry: float = 4.0,
    ) -> None:
        self._ssl_context = ssl_context
        self._max_idle = max_idle
        self._expiry = keepalive_expiry
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: dict[Origin, list[_Connection]] = {}
        self._fallback: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if request.method == "HEAD" or url.scheme not in ("http", "https"):
            if self._fallback is None:
                self._fallback = httpx.AsyncHTTPTransport(verify=self._ssl())
            return await self._fallback.handle_async_request(request)
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        body = await request.aread()
        message = _head(request, body) + body
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        if self._slots.locked():  # wait for a slot, within the pool timeout
            try:
                await asyncio.wait_for(self._slots.acquire(), timeouts.get("pool"))
            except TimeoutError:
                raise httpx.PoolTimeout("No free connection within the pool timeout.") from None
        else:
            await self._slots.acquire()  # free: no timer needed
        try:
            connection = self._reuse(origin) or await self._connect(origin, timeouts)
            try:
                status, reason, headers, content, keep = await connection.exchange(
                    message, timeouts.get("read")
                )
            except BaseException:
                connection.close()
                raise
            if keep and not connection.closed:
                self._park(origin, connection)
            else:
                connection.close()
        finally:
            self._slots.release()
        return httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(content),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
        if self._fallback is not None:
            await self._fallback.aclose()

    def _ssl(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context

    def _reuse(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < self._expiry:
                return connection
            connection.close()
        return None

    def _park(self, origin: Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) >= self._max_idle:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)

    async def _connect(self, origin: Origin, timeouts: dict[str, float | None]) -> _Connection:
        scheme, host, port = origin
        secure = self._ssl() if scheme == "https" else None
        loop = asyncio.get_running_loop()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    _Connection, host, port, ssl=secure, server_hostname=host if secure else None
                ),
                timeouts.get("connect"),
            )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"Connecting to {host}:{port} timed out.") from None
        except OSError as exc:  # refused, unreachable, DNS, TLS (ssl.SSLError is an OSError)
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        return connection


def _head(request: httpx.Request, body: bytes) -> bytes:
    """Request line and headers. The body is sent whole, with its ``Content-Length``."""
    lines = [b"%s %s HTTP/1.1\r\n" % (request.method.encode(), request.url.raw_path)]
    has_length = False
    for name, value in request.headers.raw:
        lowered = name.lower()
        if lowered == b"transfer-encoding":
            continue
        has_length = has_length or lowered == b"content-length"
        lines.append(b"%s: %s\r\n" % (name, value))
    if not has_length and (body or request.method in ("POST", "PUT", "PATCH")):
        lines.append(b"Content-Length: %d\r\n" % len(body))
    lines.append(b"\r\n")
    return b"".join(lines)


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection: one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[_Answer] | None = None
        self.closed = False
        self.idle_since = 0.0
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._headers_done = False
        self._framed = False  # Content-Length or chunked: the parser sees the end

    async def exchange(self, message: bytes, read_timeout: float | None) -> _Answer:
        """Write ``message``; the response's status, reason, headers, body, keep-alive."""
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(message)
        try:
            return await asyncio.wait_for(self.waiter, read_timeout)
        except TimeoutError:
            raise httpx.ReadTimeout("No response within the read timeout.") from None
        finally:
            self.waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():  # bytes nobody asked for: unusable
            self.close()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"Invalid HTTP response: {exc}"))

    def eof_received(self) -> bool | None:
        self._end_of_stream()
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._end_of_stream()

    def _end_of_stream(self) -> None:
        if self.waiter is None or self.waiter.done():
            return
        if self._headers_done and not self._framed:  # a body delimited by the close
            self._answer(keep_alive=False)
            return
        self._fail(httpx.RemoteProtocolError("Server disconnected without a complete response."))

    def _fail(self, error: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)
        self.close()

    def _answer(self, *, keep_alive: bool) -> None:
        assert self.waiter is not None
        status, body = self.parser.get_status_code(), b"".join(self._body)
        self.waiter.set_result((status, self._reason, self._headers, body, keep_alive))

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._reason, self._headers, self._body = b"", [], []
        self._headers_done = self._framed = False

    def on_status(self, status: bytes) -> None:
        self._reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))
        lowered = name.lower()
        if lowered == b"content-length" or (
            lowered == b"transfer-encoding" and b"chunked" in value.lower()
        ):
            self._framed = True

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self.parser.get_status_code() < 200:
            return  # an interim response (100 Continue): the final one follows
        if self.waiter is not None and not self.waiter.done():
            self._answer(keep_alive=self.parser.should_keep_alive())
