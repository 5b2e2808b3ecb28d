"""The ``kro`` command: migrate and admin create-user against a real database file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from kro.cli import app


def test_migrate_then_create_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("KRO_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    runner = CliRunner()
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        ["admin", "create-user", "--email", "Root@Example.com", "--full-name", "Root", "--admin"],
        input="long-enough-password\nlong-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "root@example.com (admin)" in result.output
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        row = conn.execute(text("select role, password_hash from users")).one()
    engine.dispose()
    assert row.role == "admin" and row.password_hash.startswith("$argon2")


def test_serve_refuses_several_processes_on_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite has one writer at a time: ``--workers 2`` is refused before anything starts."""
    monkeypatch.setenv("KRO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}")
    result = CliRunner().invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 2, result.output
    assert "SQLite has one writer at a time" in result.output
    assert not (tmp_path / "serve.db").exists()  # not even migrated
