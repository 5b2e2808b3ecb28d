"""The giving settings an admin may change without a deploy: the default platform tip and
the minimum donation. Kept as escrow keeps its fee configuration (``kro.escrow.catalog``):
append-only rows in ``giving_configurations``, the newest in force, the rest its history;
with no row, the settings ``KRO_GIVING_DEFAULT_TIP_BPS`` / ``KRO_GIVING_MIN_DONATION``.

A change is money policy, so it needs a fresh TOTP code and is audit-logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.giving.models import GivingConfiguration
from kro.identity import admin as identity_admin
from kro.identity.dependencies import AppSettings
from kro.identity.models import User
from kro.kit.deps import DbSession
from kro.settings import Settings


@dataclass(frozen=True)
class Terms:
    """``default_tip_bps`` basis points of the gift; ``min_donation`` minor units."""

    default_tip_bps: int
    min_donation: int


def defaults(settings: Settings) -> Terms:
    return Terms(settings.giving_default_tip_bps, settings.giving_min_donation)


async def current(session: AsyncSession, settings: Settings) -> Terms:
    """The terms in force: the newest configuration row, else the settings."""
    row = (
        await session.execute(
            select(GivingConfiguration).order_by(GivingConfiguration.id.desc()).limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        return defaults(settings)
    return Terms(row.default_tip_bps, row.min_donation)


async def effective(session: AsyncSession, settings: Settings) -> Settings:
    """``settings`` with the terms in force (what the donation flow reads)."""
    terms = await current(session, settings)
    return settings.model_copy(
        update={
            "giving_default_tip_bps": terms.default_tip_bps,
            "giving_min_donation": terms.min_donation,
        }
    )


async def _in_force(session: DbSession, settings: AppSettings) -> Settings:
    return await effective(session, settings)


# A request's settings with the giving terms in force (the donation flow's dependency).
GivingSettings = Annotated[Settings, Depends(_in_force)]


async def change(
    session: AsyncSession,
    admin: User,
    terms: Terms,
    note: str | None,
    *,
    totp_code: str | None,
    ip: str | None = None,
) -> GivingConfiguration:
    """Put ``terms`` in force for donations started from now on, after the admin's fresh
    TOTP code; audit-logged as ``giving.settings_changed``. Raises TotpRequired (403, on
    field ``totp_code``)."""
    await identity_admin.require_totp(session, admin, totp_code, field="totp_code")
    row = GivingConfiguration(
        default_tip_bps=terms.default_tip_bps,
        min_donation=terms.min_donation,
        created_by=admin.id,
        note=note,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor_id=admin.id,
        action="giving.settings_changed",
        target_type="giving_configuration",
        target_id=row.id,
        ip=ip,
        details={
            "default_tip_bps": terms.default_tip_bps,
            "min_donation": terms.min_donation,
            "note": note,
        },
    )
    return row


async def history(session: AsyncSession, limit: int = 50) -> list[GivingConfiguration]:
    """Configurations, newest (the one in force) first."""
    rows = await session.execute(
        select(GivingConfiguration).order_by(GivingConfiguration.id.desc()).limit(limit)
    )
    return list(rows.scalars())
