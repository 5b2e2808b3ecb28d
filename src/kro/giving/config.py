"""The giving settings an admin may change without a deploy: the default platform tip and
the minimum donation. Kept as every product keeps its money policy (``kro.audit.policy``):
append-only rows in ``giving_configurations``, the newest in force, the rest its history;
with no row, the settings ``KRO_GIVING_DEFAULT_TIP_BPS`` / ``KRO_GIVING_MIN_DONATION``.

A change is money policy, so it needs a fresh TOTP code and is audit-logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit.policy import PolicyHistory
from kro.giving.models import GivingConfiguration
from kro.identity.dependencies import AppSettings
from kro.kit.deps import DbSession
from kro.settings import Settings


@dataclass(frozen=True)
class Terms:
    """``default_tip_bps`` basis points of the gift; ``min_donation`` minor units."""

    default_tip_bps: int
    min_donation: int


def defaults(settings: Settings) -> Terms:
    return Terms(settings.giving_default_tip_bps, settings.giving_min_donation)


POLICY = PolicyHistory(
    Terms, GivingConfiguration, "giving.settings_changed", "giving_configuration"
)
history = POLICY.history
"""Configurations, newest (the one in force) first."""
change = POLICY.change
"""Put terms in force for donations started from now on, after the admin's fresh TOTP code;
audit-logged as ``giving.settings_changed``. Raises TotpRequired (403, on ``totp_code``)."""


async def current(session: AsyncSession, settings: Settings) -> Terms:
    """The terms in force: the newest configuration row, else the settings."""
    return await POLICY.current(session, defaults(settings))


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
