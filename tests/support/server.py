"""Run an ASGI app under a real uvicorn server on a free loopback port, in a thread.

Used wherever a test must cross real HTTP: the sandbox providers, webhooks, the whole platform.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[2]


# Ports handed out to tests: 20000-29999, below Linux's ephemeral range (32768-60999), so no
# outgoing connection holds one, and split between pytest-xdist's workers (gw0, gw1, ...), so
# two workers never hand out the same port between checking it and a server binding it.
_PORTS = range(20000, 30000)
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_SHARE = len(_PORTS) // max(_WORKERS, 1)
_next_port = itertools.count()


def free_port() -> int:
    """A loopback port that is free now and that no other test worker hands out (this worker's
    share of 20000-29999, taken in turn, wrapping round; one in use is skipped)."""
    start = _PORTS.start + _WORKER * _SHARE
    for _ in range(_SHARE):
        port = start + next(_next_port) % _SHARE
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in this worker's share")


@contextmanager
def serve_in_thread(app_factory: Callable[[int], Any], port: int | None = None) -> Iterator[str]:
    """Start ``app_factory(port)`` on 127.0.0.1:port; yield its base URL; stop it on exit."""
    port = port or free_port()
    config = uvicorn.Config(
        app_factory(port), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


class LoggedProcess:
    """A server process of a test, its output in ``log_path``: subclasses start ``proc`` and
    set ``base_url``; this waits for ``/healthz``, shows the log on failure, and stops it."""

    name = "server"
    base_url: str
    log_path: Path
    proc: subprocess.Popen[bytes]
    _log: IO[bytes]

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"{self.name} exited early:\n{self.output()}"
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not start:\n{self.output()}")

    def close(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


class ServerProcess(LoggedProcess):
    """``uvicorn <factory> --factory`` in its own process on a free port, with ``env`` added
    to the environment (``KRO_PORT`` set); its output goes to ``log_dir/<name>.log``."""

    def __init__(self, name: str, factory: str, env: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                factory,
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                **env,
                "KRO_PORT": str(self.port),
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
