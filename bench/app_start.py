"""The CPU an app costs from nothing to its first answers: ``create_app``, its lifespan (the
sandboxes, the realtime server and the in-process worker started), three requests, stop —
what every test that runs the platform pays, and a server process on top of its imports.
Beside it, a bare FastAPI app with one route doing the same, measured in the same run.

Run::

    uv run python bench/app_start.py [--runs 7]

On SQLite (a copy of one schema file per app, as the tests do). The last line::

    app-start: <C> ms CPU per app; baseline <C0> ms CPU; runs <N>

(medians of ``--runs`` after one warm-up each).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import create_engine

import kro.registry
from kro.app import create_app
from kro.settings import Settings

PATHS = ("/v1/me", "/v1/escrow/orders", "/healthz")


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/{anything:path}")
    async def answer(anything: str) -> dict[str, str]:
        return {"path": anything}

    return app


def platform_factory(folder: Path) -> Callable[[int], FastAPI]:
    template = folder / "template.db"
    engine = create_engine(f"sqlite:///{template}")
    kro.registry.Base.metadata.create_all(engine)
    engine.dispose()

    def make(i: int) -> FastAPI:
        run = folder / f"run{i}"
        run.mkdir()
        shutil.copyfile(template, run / "kro.db")
        settings = Settings(
            env="test",
            log_level="WARNING",
            database_url=f"sqlite+aiosqlite:///{run}/kro.db",
            sandbox_database_url=f"sqlite+aiosqlite:///{run}/sandbox.db",
            storage_path=str(run / "files"),
            worker_poll_interval=0.05,
        )
        return create_app(settings)

    return make


async def cpu_of(make: Callable[[int], FastAPI], i: int) -> float:
    start = time.process_time()
    app = make(i)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as running:
        transport = httpx.ASGITransport(running.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for path in PATHS:
                await client.get(path)
    return time.process_time() - start


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        platform = platform_factory(Path(tmp))
        await cpu_of(platform, 0)
        await cpu_of(lambda _: bare_app(), 0)
        ours = [await cpu_of(platform, i) for i in range(1, runs + 1)]
        base = [await cpu_of(lambda _: bare_app(), i) for i in range(runs)]
    print("platform ms:", " ".join(f"{t * 1000:,.0f}" for t in ours))
    print("baseline ms:", " ".join(f"{t * 1000:,.1f}" for t in base))
    print(
        f"app-start: {statistics.median(ours) * 1000:,.0f} ms CPU per app; "
        f"baseline {statistics.median(base) * 1000:,.1f} ms CPU; runs {runs}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    asyncio.run(main(parser.parse_args().runs))
