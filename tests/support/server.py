"""Run an ASGI app under a real uvicorn server on a free loopback port, in a thread.

Used wherever a test must cross real HTTP: the sandbox providers, webhooks, the whole platform.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


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
