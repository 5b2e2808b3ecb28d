"""Admin-managed escrow settings: the fee configuration (with its history) and condition
templates. Every change by an admin is audit-logged; a fee change needs a fresh TOTP code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.audit.policy import PolicyHistory
from kro.escrow.errors import TemplateNotFound
from kro.escrow.fees import FeePolicy
from kro.escrow.models import ConditionTemplate, FeeConfiguration
from kro.identity.models import User

FEES = PolicyHistory(FeePolicy, FeeConfiguration, "escrow.fee_changed", "fee_configuration")
"""The platform fee on new escrow orders, with its history (:mod:`kro.audit.policy`)."""
fee_history = FEES.history
"""Fee configurations, newest (the one in force) first."""
change_fees = FEES.change
"""Put a fee policy in force for orders created from now on, after the admin's fresh TOTP
code; audit-logged as ``escrow.fee_changed``. Raises TotpRequired (403, on ``totp_code``)."""


async def current_fee_policy(session: AsyncSession, default: FeePolicy) -> FeePolicy:
    """The newest fee configuration, or ``default`` (from settings) when none was set."""
    return await FEES.current(session, default)


async def templates(
    session: AsyncSession, *, include_inactive: bool = False
) -> list[ConditionTemplate]:
    stmt = select(ConditionTemplate).order_by(ConditionTemplate.id)
    if not include_inactive:
        stmt = stmt.where(ConditionTemplate.active.is_(True))
    return list((await session.execute(stmt)).scalars())


async def add_template(
    session: AsyncSession,
    admin: User,
    description: str,
    category: str | None,
    *,
    ip: str | None = None,
) -> ConditionTemplate:
    """Offer buyers a ready-made condition; audit-logged as ``escrow.template_added``."""
    row = ConditionTemplate(description=description, category=category, created_by=admin.id)
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor_id=admin.id,
        action="escrow.template_added",
        target_type="template",
        target_id=row.id,
        ip=ip,
    )
    return row


async def retire_template(
    session: AsyncSession, admin: User, template_id: str, *, ip: str | None = None
) -> ConditionTemplate:
    """Hide a template from buyers (orders that used it keep their text); audit-logged as
    ``escrow.template_retired``. TemplateNotFound (404)."""
    row = await session.get(ConditionTemplate, template_id)
    if row is None:
        raise TemplateNotFound()
    row.active = False
    await session.flush()
    await audit.record(
        session,
        actor_id=admin.id,
        action="escrow.template_retired",
        target_type="template",
        target_id=row.id,
        ip=ip,
    )
    return row


async def template_text(session: AsyncSession, template_id: str) -> str:
    """The description of an active template; TemplateNotFound (404) otherwise."""
    row = await session.get(ConditionTemplate, template_id)
    if row is None or not row.active:
        raise TemplateNotFound()
    return row.description
