"""``kro backup`` and ``kro restore``: a consistent copy of the platform's database, and
putting one back.

- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, taken while the platform
  runs) and ``pg_restore --clean --if-exists --no-owner --single-transaction`` into the
  target database (all or nothing). Point-in-time recovery between dumps comes from WAL
  archiving (docs/operations.md): a dump is the base, the WAL the last five minutes.
- SQLite (the embedded default): the online backup API, page by page, consistent while the
  server writes; restore copies the file back the same way.

A backup holds everything the ledger needs: restored, the invariant and every balance hold
(the restore drill in tests/ops proves it).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A dump or restore that did not complete (the tool's message is kept)."""


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{url} is not a SQLite file")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the pg tools, with the password in the environment."""
    parsed = make_url(url)
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client)")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    # The command is ours: a pg tool found on PATH and the configured database URL.
    done = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, env={**os.environ, **env}
    )
    if done.returncode != 0:
        raise BackupError(done.stderr.strip() or f"{command[0]} exited {done.returncode}")


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def backup(database_url: str, target: Path) -> Path:
    """Write a backup of ``database_url`` to ``target`` (a ``.dump`` file on PostgreSQL, a
    SQLite database file on SQLite); returns ``target``. Raises :class:`BackupError`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if database_url.startswith("sqlite"):
        source = _sqlite_path(database_url)
        if not source.exists():
            raise BackupError(f"{source} does not exist")
        _sqlite_copy(source, target)
        return target
    conninfo, env = _libpq(database_url)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", conninfo], env)
    return target


def restore(source: Path, database_url: str) -> None:
    """Put the backup ``source`` into ``database_url`` (an existing, preferably empty,
    database: every object the backup holds is dropped first and recreated, in one
    transaction). Raises :class:`BackupError`."""
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    if database_url.startswith("sqlite"):
        _sqlite_copy(source, _sqlite_path(database_url))
        return
    conninfo, env = _libpq(database_url)
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conninfo}",
            str(source),
        ],
        env,
    )
