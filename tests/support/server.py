"""Run an ASGI app under a real uvicorn server on a free loopback port, in a thread.

Used wherever a test must cross real HTTP: the sandbox providers, webhooks, the whole platform.
"""

from __future__ import annotations

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    deadline = time.monotonic() + 20
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

    def wait_ready(self, within: float = 30.0) -> None:
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
