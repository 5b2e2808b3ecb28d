"""Queries the ``/_sandbox`` control endpoints of every simulator share: the newest rows
matching a listing's filters, and one row by id within the caller's scope. Each endpoint keeps
its provider's envelope, messages and errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

LIMIT = 500
M = TypeVar("M")


async def newest(session: AsyncSession, model: type[M], **filters: object) -> Sequence[M]:
    """Up to 500 rows of ``model``, newest (highest ``id``) first, whose columns equal
    ``filters`` (by column name); a filter that is None or empty is left out."""
    table: Any = model
    query = select(model).order_by(table.id.desc()).limit(LIMIT)
    for name, value in filters.items():
        if value is not None and value != "":
            query = query.where(getattr(table, name) == value)
    return (await session.scalars(query)).all()


async def owned(session: AsyncSession, model: type[M], row_id: int, **owner: object) -> M | None:
    """Row ``row_id`` of ``model``; None if there is none or it belongs to someone else (its
    column named in ``owner`` differs from the caller's, when that is not None)."""
    row = await session.get(model, row_id)
    if row is None:
        return None
    for name, value in owner.items():
        if value is not None and getattr(row, name) != value:
            return None
    return row
