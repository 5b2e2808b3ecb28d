"""The marketplace's money terms an admin may change without a deploy: the buyer's service
fee (basis points, minimum and cap in minor units), the default seller commission and the
cut of tips (basis points). Kept as every product keeps its money policy (``kro.audit.policy``):
append-only ``mkt_fee_terms`` rows, the newest in force, the rest its history; with no
row, the settings ``KRO_MARKETPLACE_SERVICE_FEE_*``, ``…_COMMISSION_BPS``,
``…_TIP_COMMISSION_BPS``. A category's own commission still overrides the default.

New orders, extras and tips take the terms in force when they are placed (an order keeps
the fee and commission it was placed with). A change is money policy: a fresh TOTP code,
audit-logged."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit.policy import PolicyHistory
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


POLICY = PolicyHistory(Terms, FeeTerms, "marketplace.terms_changed", "marketplace_terms")
history = POLICY.history
"""The terms set by admins, newest (the one in force) first."""
change = POLICY.change
"""Put terms in force for what is placed from now on, after the admin's fresh TOTP code;
audit-logged as ``marketplace.terms_changed``. Raises TotpRequired (403, on ``totp_code``)."""


async def current(session: AsyncSession, settings: Settings) -> Terms:
    """The terms in force: the newest row, else the settings."""
    return await POLICY.current(session, defaults(settings))


async def effective(session: AsyncSession, settings: Settings) -> Settings:
    """``settings`` with the terms in force (what placing an order, an extra or a tip
    reads)."""
    terms = await current(session, settings)
    return settings.model_copy(
        update={f"marketplace_{name}": value for name, value in asdict(terms).items()}
    )
