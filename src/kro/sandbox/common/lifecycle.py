"""A simulator's life cycle: its database, its background loop and its standalone app.

Mounted inside ``kro serve`` (``app.mount("/sandbox/<provider>", sandbox.app)``), a sub-app's
lifespan never runs, so the host enters the simulator's ``running()`` itself; standalone,
:func:`standalone_app` wires ``running()`` into the lifespan. ``running()`` opens the database
with :func:`open_database` and, where there is due work, runs :func:`background_loop`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol

import structlog
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.db import create_engine, is_sqlite, session_factory
from kro.sandbox.db import create_tables


class Simulator(Protocol):
    """What :func:`standalone_app` needs: the mountable ``app`` and ``running()``."""

    app: FastAPI

    def running(self) -> AbstractAsyncContextManager[object]: ...


@asynccontextmanager
async def open_database(url: str, prefix: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Open the sandbox database at ``url``, creating (if missing) the tables whose names start
    with ``prefix`` (``"paystack_"``); yield its session factory; dispose of it on exit."""
    ensure_sqlite_dir(url)
    engine = create_engine(url)
    try:
        await create_tables(engine, prefix)
        yield session_factory(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def background_loop(
    tick: Callable[[], Awaitable[object]],
    *,
    provider: str,
    startup_delay: float,
    poll_interval: float,
) -> AsyncIterator[None]:
    """Run ``tick`` every ``poll_interval`` seconds, the first after ``startup_delay`` (so that
    a host serving its own webhook receiver is up first), until the block exits; then wait for
    the pass under way. A failing pass is logged (``<provider>_sandbox_tick_failed``) and the
    loop goes on."""
    log = structlog.get_logger(f"kro.sandbox.{provider}")
    stop = asyncio.Event()

    async def wait(seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)

    async def loop() -> None:
        await wait(startup_delay)
        while not stop.is_set():
            try:
                await tick()
            except Exception:
                log.exception(f"{provider}_sandbox_tick_failed")
            await wait(poll_interval)

    # Not our outbox on purpose: the simulator stands in for someone else's server and may
    # import only ``kro.kit`` (DESIGN.md §3, §7). Nothing is lost to a crash: due work is rows
    # of its own tables (deliveries, refunds, transfers), picked up by the next pass; the task
    # is awaited, never fire-and-forget.
    task = asyncio.create_task(loop(), name=f"{provider}-sandbox-loop")
    try:
        yield
    finally:
        stop.set()
        await task


def standalone_app(title: str, sandbox: Simulator) -> FastAPI:
    """A server of its own for ``sandbox`` (``kro sandbox <provider> --port N``) whose lifespan
    runs it; ``app.state.sandbox`` is the simulator."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with sandbox.running():
            yield

    app = FastAPI(title=title, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.sandbox = sandbox
    app.mount("/", sandbox.app)
    return app


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite database file (not of ``:memory:`` or a ``file:`` URI)."""
    if not is_sqlite(url):
        return
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
