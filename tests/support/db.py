"""Database checks for tests."""

from __future__ import annotations

import sqlite3


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
