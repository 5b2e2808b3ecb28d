"""Database checks for tests."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def statements_sent(engine: AsyncEngine) -> Iterator[list[str]]:
    """The first word of each statement ``engine`` sends inside the block, in order (SQLite's
    ``BEGIN IMMEDIATE`` left out, so both backends list the same)."""
    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        verb = statement.split()[0].upper()
        if verb != "BEGIN":
            sent.append(verb)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)


def write_locked(db_url: str) -> bool:
    """SQLite: True if another connection cannot take the database's write lock now (some
    transaction holds it). Always False on PostgreSQL, where reads lock nothing."""
    if not db_url.startswith("sqlite"):
        return False
    other = sqlite3.connect(db_url.split(":///", 1)[1], timeout=0.05, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()
    return False


async def free_at_some_point(db_url: str, seconds: float, every: float = 0.1) -> bool:
    """True if the write lock is free at least once within ``seconds`` (sampled every
    ``every`` seconds). A request that held it across a slow provider call would keep it the
    whole time; the platform's job worker may take it for a moment now and then."""
    deadline = time.monotonic() + seconds
    while True:
        if not await asyncio.to_thread(write_locked, db_url):
            return True
        if time.monotonic() + every >= deadline:
            return False
        await asyncio.sleep(every)
