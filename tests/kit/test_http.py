"""The shared provider client (httpx over aiohttp's connector) against real sockets: a request
that never left us is told apart from one that was sent and got no answer (DESIGN.md
section 5: only the first may fail over to another provider)."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from kro.kit.http import close_shared_client, not_sent, shared_client
from kro.providers.errors import ProviderTimeout, ProviderUnavailable
from kro.providers.http import ProviderHttp
from tests.support.server import free_port

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    """A TCP server on 127.0.0.1 running ``handler`` per connection; yields its base URL."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    return head + await reader.readexactly(length)


def json_answer(seen: list[bytes], body: bytes, *, gzip: bool = False) -> Handler:
    """A handler that records each request in ``seen`` and answers 200 with the JSON
    ``body`` (already gzip-compressed when ``gzip``)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        encoding = b"Content-Encoding: gzip\r\n" if gzip else b""
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + encoding
            + b"Content-Length: %d\r\n\r\n" % len(body)
            + body
        )
        await writer.drain()
        writer.close()

    return answer


def provider(url: str, timeout: float = 2.0) -> ProviderHttp:
    return ProviderHttp("paystack", "Paystack", url, timeout=timeout, http_client=shared_client())


async def test_an_answer_comes_back_through_the_shared_client() -> None:
    seen: list[bytes] = []

    async with raw_server(json_answer(seen, b'{"status": true, "data": {"n": 1}}')) as url:
        body = await provider(url).call_json("POST", "/charge", "charge", json={"amount": 100})
    assert body == {"status": True, "data": {"n": 1}}
    assert seen[0].startswith(b"POST /charge HTTP/1.1") and b'{"amount":100}' in seen[0]


async def test_query_headers_and_a_compressed_answer_go_through_the_transport_direct() -> None:
    """The shared client's requests skip httpx's client layer (``kit.http.send``): the query,
    the caller's headers and a gzip answer must still be what they are through it; a client
    of one's own, with Basic auth, goes through ``client.send`` and gets the same."""
    seen: list[bytes] = []

    answer = json_answer(seen, gzip.compress(b'{"status": true, "data": []}'), gzip=True)
    async with raw_server(answer) as url:
        shared = ProviderHttp(
            "paystack", "Paystack", url, timeout=2, http_client=shared_client(),
            headers={"Authorization": "Bearer sk_test_x"},
        )  # fmt: skip
        body = await shared.call_json("GET", "/bank", "list_banks", params={"country": "nigeria"})
        owned = ProviderHttp("twilio", "Twilio", url, timeout=2, auth=httpx.BasicAuth("AC1", "t"))
        try:
            again = await owned.call_json("GET", "/bank", "list_banks", params={"country": "ng"})
        finally:
            await owned.aclose()
    assert body == again == {"status": True, "data": []}
    direct, through_client = seen
    assert direct.startswith(b"GET /bank?country=nigeria HTTP/1.1")
    assert b"authorization: bearer sk_test_x" in direct.lower()
    assert through_client.startswith(b"GET /bank?country=ng HTTP/1.1")
    assert b"authorization: basic " in through_client.lower()


async def test_a_refused_connection_was_never_sent() -> None:
    with pytest.raises(ProviderUnavailable):
        await provider(f"http://127.0.0.1:{free_port()}").call_json(
            "POST", "/transfer", "transfer", moves_money=True
        )


async def test_a_connection_dropped_after_the_request_is_an_unknown_outcome() -> None:
    """httpx-aiohttp reports this as ``httpx.ConnectTimeout``; the provider may have acted,
    so it must be a timeout (reconcile), never "unavailable" (fail over and pay twice)."""
    requests: list[bytes] = []

    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await read_request(reader))
        writer.close()

    async with raw_server(drop) as url:
        with pytest.raises(ProviderTimeout) as err:
            await provider(url).call_json("POST", "/transfer", "transfer", moves_money=True)
    assert len(requests) == 1  # it was sent, once
    assert isinstance(err.value.__cause__, httpx.HTTPError) and not not_sent(err.value.__cause__)


async def test_no_answer_in_time_is_an_unknown_outcome() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(2)
        writer.close()

    async with raw_server(silent) as url:
        with pytest.raises(ProviderTimeout):
            await provider(url, timeout=0.3).call_json("POST", "/charge", "charge")


async def test_an_answer_that_is_not_http_is_an_unknown_outcome() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()
        writer.close()

    async with raw_server(garbage) as url:
        with pytest.raises(ProviderTimeout):
            await provider(url).call_json("POST", "/charge", "charge")


async def test_closing_the_shared_client_opens_a_new_one_next_time() -> None:
    first = shared_client()
    assert shared_client() is first
    await close_shared_client()
    assert first.is_closed and shared_client() is not first
