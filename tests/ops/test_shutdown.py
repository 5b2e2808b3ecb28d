"""Graceful shutdown of ``kro serve``: on SIGTERM it stops accepting connections, lets the
requests in flight finish (within ``KRO_SHUTDOWN_GRACE``), stops its in-process worker
politely and exits (uvicorn re-raises the SIGTERM after its clean shutdown). ``kro worker``'s
own SIGTERM handling is tested in tests/jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from kro.settings import Settings
from tests.support.server import ROOT, free_port

SECRET = Settings().paystack_secret_key


def start_serve(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KRO_PORT": str(port),
        "KRO_ENV": "test",
        "KRO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/kro.db",
        "KRO_SANDBOX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/sandbox.db",
        "KRO_STORAGE_PATH": str(tmp_path / "files"),
        "KRO_SHUTDOWN_GRACE": "15",
    }
    log = (tmp_path / "serve.log").open("wb")
    command = [sys.executable, "-c", "from kro.cli import app; app()", "serve", "--no-access-log"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base_url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "kro serve exited early"
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("kro serve did not start")


def test_sigterm_finishes_the_requests_in_flight_then_exits(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_serve(tmp_path, port)
    try:
        wait_ready(base, proc)
        # Make the (in-process) Paystack simulator slow: a request now takes 2 s.
        r = httpx.put(f"{base}/sandbox/paystack/_sandbox/faults", json={"latency_ms": 2000})
        assert r.status_code == 200, r.text
        outcome: dict[str, object] = {}

        def slow_request() -> None:
            try:
                answer = httpx.get(
                    f"{base}/sandbox/paystack/bank",
                    headers={"Authorization": f"Bearer {SECRET}"},
                    timeout=30,
                )
                outcome["status"] = answer.status_code
            except httpx.HTTPError as exc:  # pragma: no cover - the failure we test against
                outcome["error"] = repr(exc)

        in_flight = threading.Thread(target=slow_request)
        in_flight.start()
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        # No new connection is accepted once it is stopping...
        refused = False
        try:
            httpx.get(f"{base}/healthz", timeout=2)
        except httpx.TransportError:
            refused = True
        assert refused, "kro serve still accepted connections after SIGTERM"
        in_flight.join(timeout=20)
        # ... and the request already in flight was answered in full.
        assert outcome == {"status": 200}, outcome
        # uvicorn re-raises the signal once it has shut down cleanly (exit status -SIGTERM).
        assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
        log = (tmp_path / "serve.log").read_text()
        assert "worker_stopped" in log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
