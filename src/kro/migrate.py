"""Apply the Alembic migrations (``kro migrate``; automatic in ``kro serve`` on SQLite)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(database_url: str) -> Config:
    """An Alembic config for this checkout's ``migrations/`` and ``database_url``."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url)
    return cfg


def upgrade(database_url: str) -> None:
    """Upgrade the database at ``database_url`` to the newest revision (blocking)."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), "head")


async def upgrade_async(database_url: str) -> None:
    """:func:`upgrade` from async code (Alembic's env starts its own event loop)."""
    await asyncio.to_thread(upgrade, database_url)
