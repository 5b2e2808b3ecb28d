"""Test-only job handlers, loaded in-process and by worker subprocesses through
``KRO_JOB_EXTRA_MODULES=tests.jobs.handlers``.

``tests.effect`` writes one row into ``job_test_effects`` (a table of its own metadata, created
by the tests, never part of the platform schema) through ``ctx.session``, so the row commits
exactly when the job completes. Its payload steers it::

    {"key": "k1",                # effect row key (primary key: a second insert fails)
     "per_attempt": true,        # key becomes "k1:<attempt>" (to see which attempt committed)
     "hook": "name",             # await HOOKS[name](ctx) first (in-process tests only)
     "fail_attempts": [1, 2],    # raise RuntimeError on these attempts, after the insert
     "fail_always": true,        # raise RuntimeError on every attempt
     "permanent": true,          # raise PermanentJobError
     "retry_in": 30,             # raise RetryJob(30 s)
     "marker": "/path",          # write the worker id to this file after the insert
     "block_attempts": [1],      # then sleep for an hour on these attempts (to be killed)
     "sleep": 0.2}               # or sleep this long before returning
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from kro.jobs import JobContext, PermanentJobError, RetryJob, job_handler

metadata = MetaData()
effects = Table(
    "job_test_effects",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("job_id", String(40), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("worker_id", String(200), nullable=False),
)


@dataclass(frozen=True)
class Call:
    job_id: str
    attempt: int
    worker_id: str


CALLS: list[Call] = []
HOOKS: dict[str, Callable[[JobContext], Awaitable[None]]] = {}


@job_handler("tests.effect")
async def effect(ctx: JobContext, payload: dict[str, Any]) -> None:
    CALLS.append(Call(ctx.job_id, ctx.attempt, ctx.worker_id))
    if "hook" in payload:
        await HOOKS[payload["hook"]](ctx)
    key = payload["key"]
    if payload.get("per_attempt"):
        key = f"{key}:{ctx.attempt}"
    await ctx.session.execute(
        insert(effects).values(
            key=key, job_id=ctx.job_id, attempt=ctx.attempt, worker_id=ctx.worker_id
        )
    )
    if payload.get("fail_always") or ctx.attempt in payload.get("fail_attempts", []):
        raise RuntimeError(f"boom on attempt {ctx.attempt}")
    if payload.get("permanent"):
        raise PermanentJobError("this can never work")
    if "retry_in" in payload:
        raise RetryJob(timedelta(seconds=payload["retry_in"]), "provider says processing")
    if "marker" in payload:
        await asyncio.to_thread(_write_atomically, Path(payload["marker"]), ctx.worker_id)
    if ctx.attempt in payload.get("block_attempts", []):
        await asyncio.sleep(3600)
    if payload.get("sleep"):
        await asyncio.sleep(payload["sleep"])


@job_handler("tests.tick")
async def tick(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Periodic in the scheduler test (scheduled there, not here, so no other test sees it)."""
    CALLS.append(Call(ctx.job_id, ctx.attempt, ctx.worker_id))
    await ctx.session.execute(
        insert(effects).values(
            key=f"tick:{payload['slot']}",
            job_id=ctx.job_id,
            attempt=ctx.attempt,
            worker_id=ctx.worker_id,
        )
    )


def _write_atomically(path: Path, text: str) -> None:
    """Write then rename, so a reader never sees the file empty."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
