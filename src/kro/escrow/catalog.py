"""Admin-managed escrow settings: the fee configuration (with its history) and condition
templates."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.escrow.errors import TemplateNotFound
from kro.escrow.fees import FeePolicy, Payer
from kro.escrow.models import ConditionTemplate, FeeConfiguration


async def current_fee_policy(session: AsyncSession, default: FeePolicy) -> FeePolicy:
    """The newest fee configuration, or ``default`` (from settings) when none was set."""
    row = (
        await session.execute(
            select(FeeConfiguration).order_by(FeeConfiguration.id.desc()).limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        return default
    payer: Payer = row.payer  # type: ignore[assignment]
    return FeePolicy(row.percent_bps, row.flat, row.cap, payer)


async def set_fee_policy(
    session: AsyncSession, policy: FeePolicy, admin_id: str, note: str | None
) -> FeeConfiguration:
    """Put a new fee configuration in force for orders created from now on."""
    row = FeeConfiguration(
        percent_bps=policy.percent_bps,
        flat=policy.flat,
        cap=policy.cap,
        payer=policy.payer,
        created_by=admin_id,
        note=note,
    )
    session.add(row)
    await session.flush()
    return row


async def fee_history(session: AsyncSession, limit: int = 50) -> list[FeeConfiguration]:
    rows = await session.execute(
        select(FeeConfiguration).order_by(FeeConfiguration.id.desc()).limit(limit)
    )
    return list(rows.scalars())


async def templates(
    session: AsyncSession, *, include_inactive: bool = False
) -> list[ConditionTemplate]:
    stmt = select(ConditionTemplate).order_by(ConditionTemplate.id)
    if not include_inactive:
        stmt = stmt.where(ConditionTemplate.active.is_(True))
    return list((await session.execute(stmt)).scalars())


async def add_template(
    session: AsyncSession, description: str, category: str | None, admin_id: str
) -> ConditionTemplate:
    row = ConditionTemplate(description=description, category=category, created_by=admin_id)
    session.add(row)
    await session.flush()
    return row


async def retire_template(session: AsyncSession, template_id: str) -> ConditionTemplate:
    """Hide a template from buyers (orders that used it keep their text); TemplateNotFound
    (404)."""
    row = await session.get(ConditionTemplate, template_id)
    if row is None:
        raise TemplateNotFound()
    row.active = False
    await session.flush()
    return row


async def template_text(session: AsyncSession, template_id: str) -> str:
    """The description of an active template; TemplateNotFound (404) otherwise."""
    row = await session.get(ConditionTemplate, template_id)
    if row is None or not row.active:
        raise TemplateNotFound()
    return row.description
