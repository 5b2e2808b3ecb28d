"""The Alembic migrations build exactly the schema the models declare, on both backends."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import kro.registry
from kro.migrate import upgrade
from tests.conftest import PG_URL, _admin_sync_url


@pytest.fixture(params=["sqlite", "postgres"] if PG_URL else ["sqlite"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(async URL, sync URL) of an empty database."""
    if request.param == "sqlite":
        path = tmp_path / "migrated.db"
        yield f"sqlite+aiosqlite:///{path}", f"sqlite:///{path}"
        return
    name = f"kro_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_admin_sync_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name)
    yield (
        url.render_as_string(hide_password=False),
        url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False),
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def test_migrations_match_models(empty_db: tuple[str, str]) -> None:
    async_url, sync_url = empty_db
    await asyncio.to_thread(upgrade, async_url)
    await asyncio.to_thread(upgrade, async_url)  # idempotent: already at head
    engine = create_engine(sync_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, kro.registry.Base.metadata)
    engine.dispose()
    assert diff == [], diff
