"""kro.kit.http.KeepAliveTransport against a raw local server: keep-alive reuse, framing
(length, chunked, until close), gzip, and httpx's errors — ConnectError when nothing was sent,
ReadTimeout / RemoteProtocolError once it was (the outcome unknown)."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kro.kit.http import KeepAliveTransport

Reply = Callable[[bytes], Awaitable[bytes | None]]  # request head+body -> raw response or None


class Server:
    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []


@asynccontextmanager
async def serve(
    reply: Reply, *, tls: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[Server, str]]:
    """A server that reads one request at a time (head + Content-Length body) and writes what
    ``reply`` returns (None: close without answering)."""
    state = Server()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = head + await reader.readexactly(length)
                state.requests.append(request)
                answer = await reply(request)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield state, f"{'https' if tls else 'http'}://127.0.0.1:{port}"


def ok(body: bytes, *extra: bytes) -> bytes:
    head = [b"HTTP/1.1 200 OK", b"Content-Type: application/json", *extra]
    head.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(head) + b"\r\n\r\n" + body


async def echo(request: bytes) -> bytes:
    return ok(request.split(b"\r\n\r\n", 1)[1] or b"{}")


async def test_requests_share_one_kept_alive_connection_and_bodies_go_whole() -> None:
    async with (
        serve(echo) as (server, url),
        httpx.AsyncClient(transport=KeepAliveTransport()) as client,
    ):
        r1 = await client.post(f"{url}/charge?x=1", json={"amount": 500_000})
        r2 = await client.post(f"{url}/charge", content=b'{"b":2}', headers={"X-Key": "v"})
        assert (r1.status_code, r1.json(), r2.json()) == (200, {"amount": 500_000}, {"b": 2})
        assert r1.http_version == "HTTP/1.1" and r1.reason_phrase == "OK"
        assert server.connections == 1
        assert server.requests[0].startswith(b"POST /charge?x=1 HTTP/1.1\r\n")
        assert b"\r\nX-Key: v\r\n" in server.requests[1]
        assert b"\r\nContent-Length: 7\r\n" in server.requests[1]


async def test_chunked_gzip_and_close_delimited_bodies() -> None:
    answers = iter(
        [
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b'3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n',
            ok(gzip.compress(b'{"z":1}'), b"Content-Encoding: gzip"),
            b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"until":"close"}',
        ]
    )

    async def reply(_: bytes) -> bytes:
        return next(answers)

    async with (
        serve(reply) as (server, url),
        httpx.AsyncClient(transport=KeepAliveTransport()) as client,
    ):
        assert (await client.get(url)).json() == {"a": 1}
        assert (await client.get(url)).json() == {"z": 1}
        assert (await client.get(url)).json() == {"until": "close"}
        assert server.connections == 1


async def test_a_connection_the_server_closed_is_not_reused() -> None:
    async def reply(_: bytes) -> bytes:
        return ok(b"{}", b"Connection: close")

    async with (
        serve(reply) as (server, url),
        httpx.AsyncClient(transport=KeepAliveTransport()) as client,
    ):
        for _ in range(3):
            assert (await client.get(url)).status_code == 200
        assert server.connections == 3


async def test_nothing_sent_is_a_connect_error() -> None:
    async with serve(echo) as (_, url):
        pass  # closed: the port refuses now
    async with httpx.AsyncClient(transport=KeepAliveTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(url, json={})


async def test_no_answer_after_sending_is_a_read_timeout_or_a_protocol_error() -> None:
    async def silent(_: bytes) -> bytes:
        await asyncio.sleep(5)
        return ok(b"{}")

    async def hang_up(_: bytes) -> None:
        return None

    async with (
        serve(silent) as (_, url),
        httpx.AsyncClient(transport=KeepAliveTransport()) as client,
    ):
        with pytest.raises(httpx.ReadTimeout):
            await client.post(url, json={}, timeout=httpx.Timeout(5.0, read=0.2))
    async with (
        serve(hang_up) as (_, url),
        httpx.AsyncClient(transport=KeepAliveTransport()) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(url, json={})


async def test_https_checks_the_certificate(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    trusting = ssl.create_default_context(cafile=str(cert_file))

    async with serve(echo, tls=server_tls) as (server, url):
        async with httpx.AsyncClient(transport=KeepAliveTransport(ssl_context=trusting)) as c:
            assert (await c.post(url, json={"tls": True})).json() == {"tls": True}
            assert (await c.post(url, json={"again": True})).json() == {"again": True}
            assert server.connections == 1
        async with httpx.AsyncClient(transport=KeepAliveTransport()) as untrusting:
            with pytest.raises(httpx.ConnectError):  # a certificate nobody vouches for
                await untrusting.post(url, json={})
