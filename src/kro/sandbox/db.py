"""The sandbox's own declarative base, separate from the platform's ``kro.kit.db.Base``.

The sandbox stands in for someone else's server, so its tables live in their own metadata and
(by default) their own database file, and are made with ``create_all`` at start-up: no Alembic.
Each simulator prefixes its tables with its provider's name (``paystack_…``) and creates only
its own tables, so several simulators may share one database.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase

from kro.kit.db import NAMING


class SandboxBase(DeclarativeBase):
    """Declarative base of every simulator's tables."""

    metadata = MetaData(naming_convention=NAMING)


async def create_tables(engine: AsyncEngine, prefix: str) -> None:
    """Create (if missing) the sandbox tables whose names start with ``prefix``."""
    tables = [t for name, t in SandboxBase.metadata.tables.items() if name.startswith(prefix)]
    async with engine.begin() as conn:
        await conn.run_sync(SandboxBase.metadata.create_all, tables=tables)
