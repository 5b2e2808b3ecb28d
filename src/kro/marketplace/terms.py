"""The marketplace's money terms an admin may change without a deploy: the buyer's service
fee (basis points, minimum and cap in minor units), the default seller commission and the
cut of tips (basis points). Kept as giving keeps its terms (``kro.giving.config``):
append-only ``mkt_fee_terms`` rows, the newest in force, the rest its history; with no
row, the settings ``KRO_MARKETPLACE_SERVICE_FEE_*``, ``…_COMMISSION_BPS``,
``…_TIP_COMMISSION_BPS``. A category's own commission still overrides the default.

New orders, extras and tips take the terms in force when they are placed (an order keeps
the fee and commission it was placed with). A change is money policy: a fresh TOTP code,
audit-logged."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.identity import admin as identity_admin
from kro.identity.models import User
from kro.marketplace.models import FeeTerms
from kro.settings import Settings


@dataclass(frozen=True)
class Terms:
    """Basis points, and minor units for the fee's minimum and cap (cap 0: none)."""

    service_fee_bps: int
    service_fee_min: int
    service_fee_cap: int
    commission_bps: int
    tip_commission_bps: int


def defaults(settings: Settings) -> Terms:
    return Terms(
        settings.marketplace_service_fee_bps,
        settings.marketplace_service_fee_min,
        settings.marketplace_service_fee_cap,
        settings.marketplace_commission_bps,
        settings.marketplace_tip_commission_bps,
    )


async def history(session: AsyncSession, limit: int = 50) -> list[FeeTerms]:
    """The terms set by admins, newest (the one in force) first."""
    stmt = select(FeeTerms).order_by(FeeTerms.created_at.desc(), FeeTerms.id.desc())
    return list((await session.execute(stmt.limit(limit))).scalars())


async def current(session: AsyncSession, settings: Settings) -> Terms:
    """The terms in force: the newest row, else the settings."""
    rows = await history(session, limit=1)
    if not rows:
        return defaults(settings)
    row = rows[0]
    return Terms(
        row.service_fee_bps,
        row.service_fee_min,
        row.service_fee_cap,
        row.commission_bps,
        row.tip_commission_bps,
    )


async def effective(session: AsyncSession, settings: Settings) -> Settings:
    """``settings`` with the terms in force (what placing an order, an extra or a tip
    reads)."""
    terms = await current(session, settings)
    return settings.model_copy(
        update={f"marketplace_{name}": value for name, value in asdict(terms).items()}
    )


async def change(
    session: AsyncSession,
    admin: User,
    terms: Terms,
    note: str | None,
    *,
    totp_code: str | None,
    ip: str | None = None,
) -> FeeTerms:
    """Put ``terms`` in force for what is placed from now on, after the admin's fresh TOTP
    code; audit-logged as ``marketplace.terms_changed``. Raises TotpRequired (403, on field
    ``totp_code``)."""
    await identity_admin.require_totp(session, admin, totp_code, field="totp_code")
    row = FeeTerms(**asdict(terms), created_by=admin.id, note=note)
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor_id=admin.id,
        action="marketplace.terms_changed",
        target_type="marketplace_terms",
        target_id=row.id,
        ip=ip,
        details={**asdict(terms), "note": note},
    )
    return row
