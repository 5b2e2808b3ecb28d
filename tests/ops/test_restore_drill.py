"""The restore drill: run the escrow demo against the whole platform, back the database up
while nothing stops, restore it into a fresh database, and the ledger there is whole — its
invariant holds and every account's balance is the one the live database has."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from kro.demo import escrow as escrow_demo
from kro.kit.db import create_engine, session_factory
from kro.ledger.invariants import check_invariants
from kro.ledger.reports import list_balances
from kro.ledger.service import Balance
from kro.ops.backup import backup, restore
from tests.conftest import PG_URL, _admin_sync_url, _drop_pg_database
from tests.support.platform import run_platform


def empty_database(db_url: str, tmp_path: Path) -> tuple[str, str | None]:
    """A new, empty database on the same backend as ``db_url`` (and its name to drop)."""
    if db_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path}/restored.db", None
    name = f"kro_restore_{uuid.uuid4().hex[:10]}"
    admin = create_sync_engine(_admin_sync_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), name


async def ledger_of(url: str) -> tuple[list[str], list[Balance]]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            problems = await check_invariants(session)
            balances = await list_balances(session, limit=10_000)
    finally:
        await engine.dispose()
    return problems, balances


def test_a_backup_restores_into_a_whole_ledger(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = f"sqlite+aiosqlite:///{tmp_path}/sandbox.db"
    with run_platform(db_url, sandbox) as platform:
        settings = platform.settings
        code = escrow_demo.run(
            platform.base_url, settings.admin_email, settings.admin_password, "dispute"
        )
        assert code == 0, capsys.readouterr().out
        # Taken while the platform still runs (its worker polls; pg_dump's snapshot and
        # SQLite's online backup are consistent regardless).
        dump = backup(db_url, tmp_path / "kro.backup")
    live_problems, live_balances = asyncio.run(ledger_of(db_url))
    assert live_problems == [] and len(live_balances) >= 5

    target, name = empty_database(db_url, tmp_path)
    try:
        restore(dump, target)
        problems, balances = asyncio.run(ledger_of(target))
    finally:
        if name:
            _drop_pg_database(name)
    assert problems == []
    assert balances == live_balances


def test_the_commands_back_up_and_restore_a_sqlite_database(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kro.cli import app
    from kro.migrate import upgrade

    live = tmp_path / "live.db"
    upgrade(f"sqlite+aiosqlite:///{live}")
    runner = CliRunner()
    env = {"KRO_DATABASE_URL": f"sqlite+aiosqlite:///{live}"}
    made = runner.invoke(app, ["backup", str(tmp_path / "copy.db")], env=env)
    assert made.exit_code == 0 and "backup written" in made.output
    other = {"KRO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/other.db"}
    refused = runner.invoke(app, ["restore", str(tmp_path / "copy.db")], env=other, input="n\n")
    assert refused.exit_code == 1 and not (tmp_path / "other.db").exists()
    done = runner.invoke(app, ["restore", "--yes", str(tmp_path / "copy.db")], env=other)
    assert done.exit_code == 0, done.output
    missing = runner.invoke(app, ["restore", "--yes", str(tmp_path / "nope.db")], env=other)
    assert missing.exit_code == 1 and "does not exist" in missing.output
