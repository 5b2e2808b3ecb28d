"""The shipped nginx configuration (deploy/nginx/kro.conf), run by Debian's real nginx in front
of two real ``kro serve`` processes on one PostgreSQL database, all on loopback.

nginx -t passes on it; through it requests are balanced over both servers, a Socket.IO
WebSocket connects, X-Request-ID comes back, the app sees the client's address (not nginx's,
and not one the client made up), the limits answer in the API's envelope, and a server
stopped with SIGTERM while requests flow loses none of them (a POST caught at the very moment
succeeds on its retry with the same Idempotency-Key, once).
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import pytest
import socketio
from sqlalchemy import text

from kro.kit.db import create_engine
from kro.settings import Settings
from tests.ops.nginx_support import NGINX, TEMPLATE, KroServe, Nginx, make_certificate

pytestmark = pytest.mark.skipif(not NGINX.exists(), reason="nginx is not installed (make test)")

CLIENT = "127.0.0.2"  # the test's client address: loopback, but not nginx's 127.0.0.1
UPSTREAM = re.compile(r"upstream=(\S+)")


def _body_limit_bytes() -> int:
    match = re.search(r"^\s*client_max_body_size (\d+)m;", TEMPLATE.read_text(), re.M)
    assert match, "kro.conf sets client_max_body_size in MiB"
    return int(match.group(1)) * 1024 * 1024


def test_the_shipped_configuration_passes_nginx_t(tmp_path: Path) -> None:
    proxy = Nginx(tmp_path, ["127.0.0.1:9", "127.0.0.1:10"], make_certificate(tmp_path))
    checked = proxy.check()
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
    # Uploads the app takes (KRO_EVIDENCE_MAX_BYTES) pass, with room for the multipart framing,
    # and nothing near twice that does.
    limit, evidence = _body_limit_bytes(), Settings().evidence_max_bytes
    assert evidence + 512 * 1024 <= limit <= 2 * evidence


@dataclass
class Stack:
    nginx: Nginx
    a: KroServe
    b: KroServe
    db_url: str


@pytest.fixture
def stack(pg_url: str, tmp_path: Path) -> Iterator[Stack]:
    a, b = KroServe("a", pg_url, tmp_path), KroServe("b", pg_url, tmp_path)
    proxy = Nginx(tmp_path, [a.address, b.address], make_certificate(tmp_path))
    try:
        a.wait_ready()
        b.wait_ready()
        proxy.start()
        yield Stack(proxy, a, b, pg_url)
    finally:
        proxy.stop()
        a.close()
        b.close()
    assert "[emerg]" not in proxy.errors() and "[alert]" not in proxy.errors(), proxy.errors()
    for server in (a, b):
        assert "Traceback" not in server.output(), server.output()


def _client(stack: Stack, local_address: str = CLIENT) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(
        verify=stack.nginx.certificate.client_context(), local_address=local_address
    )
    return httpx.AsyncClient(base_url=stack.nginx.base_url, transport=transport, timeout=20)


def _upstreams(stack: Stack, marker: str, count: int) -> list[str]:
    """The replica(s) nginx chose for each of the ``count`` requests containing ``marker``."""
    found = []
    for line in stack.nginx.logged(marker, count):
        match = UPSTREAM.search(line)
        assert match, line
        found.append(match.group(1))
    assert len(found) == count, found
    return found


async def _access_token(http: httpx.AsyncClient, email: str) -> str:
    password = "correct horse battery"
    registered = await http.post(
        "/v1/auth/register", json={"email": email, "password": password, "full_name": "Ada"}
    )
    assert registered.status_code == 201, registered.text
    login = await http.post("/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return str(login.json()["data"]["access_token"])


@pytest.mark.postgres
async def test_nginx_in_front_of_two_kro_serve_processes(stack: Stack) -> None:
    a, b, proxy = stack.a, stack.b, stack.nginx

    # Plain HTTP is a redirect to HTTPS, but for ACME challenges and nginx's own status page
    # (the container's health check), which only loopback gets.
    async with httpx.AsyncClient(timeout=10) as plain:
        moved = await plain.get(f"{proxy.http_url}/v1/me?x=1")
        acme = await plain.get(f"{proxy.http_url}/.well-known/acme-challenge/token")
        status = await plain.get(f"{proxy.http_url}/nginx-status")
    assert moved.status_code == 301
    assert moved.headers["location"] == "https://127.0.0.1/v1/me?x=1"
    assert acme.status_code == 404  # served from the (here missing) webroot, not redirected
    assert status.status_code == 200 and "Active connections" in status.text
    transport = httpx.AsyncHTTPTransport(local_address=CLIENT)
    async with httpx.AsyncClient(timeout=10, transport=transport) as outsider:
        assert (await outsider.get(f"{proxy.http_url}/nginx-status")).status_code == 403

    async with _client(stack) as http:
        # Balanced: round robin over both servers, as nginx logged and as each server logged.
        for i in range(20):
            r = await http.get(f"/healthz?balance={i}")
            assert r.status_code == 200
        chosen = Counter(_upstreams(stack, "balance=", 20))
        assert chosen == {a.address: 10, b.address: 10}, chosen
        for server in (a, b):
            seen = re.findall(r'"GET /healthz\?balance=\d+ HTTP/1.1" 200', server.output())
            assert len(seen) == 10, server.output()
            # uvicorn's access log names the client nginx spoke for, not nginx.
            assert f'{CLIENT}:0 - "GET /healthz?balance=' in server.output()

        # X-Request-ID: the client's comes back (and is the one the app used); without one,
        # nginx makes one, hands it to the app and logs it.
        traced = await http.get("/v1/me", headers={"X-Request-ID": "trace-nginx-1"})
        assert traced.status_code == 401
        assert traced.headers["x-request-id"] == "trace-nginx-1"
        assert traced.json()["meta"]["request_id"] == "trace-nginx-1"
        untraced = await http.get("/v1/me?untraced=1")
        rid = untraced.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", rid), rid
        assert untraced.json()["meta"]["request_id"] == rid
        assert f"rid={rid}" in proxy.logged("untraced=1")[0]

        # The app records the client's address (here in the magic-link log), not nginx's, and
        # not the X-Forwarded-For the client sent.
        asked = await http.post(
            "/v1/auth/magic-link",
            json={"email": "nobody@example.com"},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
        assert asked.status_code == 202, asked.text
        engine = create_engine(stack.db_url)
        try:
            async with engine.connect() as conn:
                ips = (await conn.execute(text("SELECT ip FROM magic_link_events"))).scalars()
                assert list(ips) == [CLIENT]
        finally:
            await engine.dispose()

        # Socket.IO over a WebSocket through nginx, authenticated by an access token.
        token = await _access_token(http, "ada@example.com")
        me = await http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        await _socket_connects(stack, token)

        # Bodies: an upload of the app's largest size reaches the app (404: no such route);
        # a larger one is refused by nginx in the API's envelope.
        evidence = Settings().evidence_max_bytes
        reached = await http.post("/v1/no-such-upload", content=b"x" * (evidence + 4096))
        assert reached.status_code == 404
        too_large = await http.post(
            "/v1/no-such-upload",
            content=b"x" * (_body_limit_bytes() + 1),
            headers={"X-Request-ID": "too-large-1"},
        )
        assert too_large.status_code == 413
        assert too_large.json()["error"]["code"] == "payload_too_large"
        assert too_large.headers["x-request-id"] == "too-large-1"

        # The business metrics are not served to the internet.
        assert (await http.get("/metrics")).status_code == 404
        async with httpx.AsyncClient(base_url=a.base_url, timeout=10) as direct:
            assert (await direct.get("/metrics")).status_code == 200

    # Sign-in attempts are rate limited per client address (another one: 127.0.0.3).
    async with _client(stack, "127.0.0.3") as other:
        tries = [
            await other.post(
                "/v1/auth/login", json={"email": "ada@example.com", "password": "wrong guess"}
            )
            for _ in range(16)
        ]
        page = await other.get("/sign-in")  # loading the page is not an attempt
    statuses = [r.status_code for r in tries]
    # burst=10 past the first, then 20 a minute: a twelfth may pass if the loop is slow.
    assert statuses[:11] == [401] * 11, statuses
    assert set(statuses) == {401, 429} and statuses.count(429) >= 3, statuses
    assert tries[-1].json()["error"]["code"] == "rate_limited"
    assert tries[-1].headers["retry-after"] == "60"
    assert page.status_code == 200

    await _stopping_one_server_loses_no_request(stack, token)


async def _socket_connects(stack: Stack, token: str) -> None:
    context = stack.nginx.certificate.client_context()

    def session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(CLIENT, 0)))

    async with session() as http:
        refused = socketio.AsyncClient(
            reconnection=False, http_session=http, websocket_extra_options={"ssl": context}
        )
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.connect(
                stack.nginx.base_url, transports=["websocket"], auth={"token": "not-a-token"}
            )
        await refused.shutdown()

    async with session() as http:
        sio = socketio.AsyncClient(
            reconnection=False, http_session=http, websocket_extra_options={"ssl": context}
        )
        try:
            # A browser's Origin: Socket.IO accepts only its own origin (the https URL nginx
            # serves, seen through X-Forwarded-Proto and Host).
            await sio.connect(
                stack.nginx.base_url,
                headers={"Origin": stack.nginx.base_url},
                transports=["websocket"],
                auth={"token": token},
                wait_timeout=10,
            )
            assert sio.connected and sio.transport() == "websocket"
        finally:
            await sio.disconnect()
            await sio.shutdown()
    # nginx logs the upgraded connection when it closes: 101, then the frames' bytes.
    upgraded = [line for line in stack.nginx.logged('" 101 ') if "transport=websocket" in line]
    assert upgraded and "GET /socket.io/?" in upgraded[0], stack.nginx.access_lines()[-5:]


async def _stopping_one_server_loses_no_request(stack: Stack, token: str) -> None:
    """Four clients loop, each alternating a read (GET /v1/me) and a creation (POST /v1/tenants
    with an Idempotency-Key), while server A gets SIGTERM; the loop goes on until a second after
    A has exited.

    Every GET answers 200: nginx retries an idempotent request on B whatever happened at A.
    Every POST answers 201, at the latest on its one retry with the same key: nginx resends
    no POST once written, so the POST it had just written on a keep-alive connection that A
    closed on stopping gets nginx's 503 (it never reached A). Each POST made exactly one
    tenant. Once A is gone every request goes to B.
    """
    a, b = stack.a, stack.b
    auth = {"Authorization": f"Bearer {token}"}
    answers: list[tuple[str, int]] = []
    retried: list[str] = []
    a_stopped_at: list[float] = []
    stop_after = time.monotonic() + 20  # a bound, whatever happens

    async def create(http: httpx.AsyncClient, name: str) -> int:
        headers = auth | {"Idempotency-Key": name}
        r = await http.post(f"/v1/tenants?stop={name}", json={"name": name}, headers=headers)
        if r.status_code == 503 and r.json()["error"]["code"] == "service_unavailable":
            retried.append(name)
            r = await http.post(f"/v1/tenants?stop={name}", json={"name": name}, headers=headers)
        return r.status_code

    async def loop(n: int, http: httpx.AsyncClient) -> None:
        i = 0
        while time.monotonic() < stop_after:
            if a_stopped_at and time.monotonic() > a_stopped_at[0] + 1.0:
                return
            name = f"stop-{n}-{i}"
            if i % 2:
                answers.append(("POST", await create(http, name)))
            else:
                r = await http.get(f"/v1/me?stop={name}", headers=auth)
                answers.append(("GET", r.status_code))
            i += 1

    async def stop_a() -> None:
        await asyncio.sleep(0.7)
        a.proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(a.proc.wait, 15)
        # uvicorn re-raises the signal once it has shut down cleanly.
        assert code in (0, -signal.SIGTERM), a.output()
        a_stopped_at.append(time.monotonic())

    async with _client(stack) as http:
        await asyncio.gather(stop_a(), *(loop(n, http) for n in range(4)))
    assert a_stopped_at, "server A did not stop"
    assert len(answers) >= 40, answers
    assert {status for method, status in answers if method == "GET"} == {200}, answers
    assert {status for method, status in answers if method == "POST"} == {201}, answers
    assert len(retried) <= 4, retried  # at most the one in flight per client at the stop
    posts = sum(1 for method, _ in answers if method == "POST")
    engine = create_engine(stack.db_url)
    try:
        async with engine.connect() as conn:
            names = (
                await conn.execute(text("SELECT name FROM tenants WHERE name LIKE 'stop-%'"))
            ).scalars()
            made = Counter(names)
    finally:
        await engine.dispose()
    assert len(made) == posts and set(made.values()) == {1}, made

    chosen = _upstreams(stack, "stop=stop-", len(answers) + len(retried))
    assert any(u == a.address for u in chosen), chosen  # A served some before it stopped
    tail = chosen[-8:]  # the last ones, after A had exited
    assert all(u == b.address for u in tail), tail
    assert b.proc.poll() is None
    assert "Shutting down" in a.output() and "Finished server process" in a.output()
