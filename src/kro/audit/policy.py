"""Money policy an admin changes without a deploy, kept with its history: escrow's fee
configuration, giving's tip and minimum donation, the marketplace's fee terms (one core piece
for every product, DESIGN.md section 3).

A policy's terms are a frozen dataclass (basis points, minor units, …). Its table is
append-only: each change adds a row holding the terms' fields as columns, plus ``created_by``,
``note`` and ``created_at``. The newest row is in force and the older ones are its history.
With no row, the caller's default applies (its settings). A change is money policy: it needs
the admin's fresh TOTP code, and it is audit-logged with the new terms and the note.
Services only flush.
"""

from __future__ import annotations

import typing
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.identity import admin as identity_admin
from kro.identity.models import User
from kro.kit.db import Base


class _Dataclass(Protocol):
    """Any dataclass (the shape of typeshed's ``DataclassInstance``, which exists only for
    type checkers)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]


T = TypeVar("T", bound=_Dataclass)
R = TypeVar("R", bound=Base)


@dataclass(frozen=True)
class PolicyHistory(Generic[T, R]):
    """The history of one policy: ``terms`` (a frozen dataclass) kept in rows of ``model``
    (its fields as columns, plus ``id``, ``created_by``, ``note``, ``created_at``); a change is
    audit-logged as ``action`` on a ``target_type`` with the new row's id."""

    terms: type[T]
    model: type[R]
    action: str
    target_type: str

    async def history(self, session: AsyncSession, limit: int = 50) -> list[R]:
        """The rows, newest (the one in force) first."""
        model: Any = self.model
        stmt = select(model).order_by(model.created_at.desc(), model.id.desc()).limit(limit)
        return list((await session.execute(stmt)).scalars())

    async def current(self, session: AsyncSession, default: T) -> T:
        """The terms in force: the newest row's, else ``default``."""
        rows = await self.history(session, limit=1)
        if not rows:
            return default
        row = rows[0]
        return self.terms(**{f.name: getattr(row, f.name) for f in fields(self.terms)})

    async def record(self, session: AsyncSession, terms: T, admin_id: str, note: str | None) -> R:
        """Put ``terms`` in force from now on (a new row, flushed), without the TOTP check
        or the audit entry: :meth:`change` is what an admin's request calls."""
        row = self.model(**asdict(terms), created_by=admin_id, note=note)
        session.add(row)
        await session.flush()
        return row

    async def change(
        self,
        session: AsyncSession,
        admin: User,
        terms: T,
        note: str | None,
        *,
        totp_code: str | None,
        ip: str | None = None,
    ) -> R:
        """Put ``terms`` in force for what starts from now on, after the admin's fresh TOTP
        code; audit-logged with the terms and the note. Raises TotpRequired (403, on field
        ``totp_code``)."""
        await identity_admin.require_totp(session, admin, totp_code, field="totp_code")
        row = await self.record(session, terms, admin.id, note)
        await audit.record(
            session,
            actor_id=admin.id,
            action=self.action,
            target_type=self.target_type,
            target_id=typing.cast(Any, row).id,
            ip=ip,
            details={**asdict(terms), "note": note},
        )
        return row
