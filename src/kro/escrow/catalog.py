"""Admin-managed escrow settings: the fee configuration (with its history) and condition
templates. Every change by an admin is audit-logged; a fee change needs a fresh TOTP code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.escrow.errors import TemplateNotFound
from kro.escrow.fees import FeePolicy, Payer
from kro.escrow.models import ConditionTemplate, FeeConfiguration
from kro.identity import admin as identity_admin
from kro.identity.models import User


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


async def change_fees(
    session: AsyncSession,
    admin: User,
    policy: FeePolicy,
    note: str | None,
    *,
    totp_code: str,
    ip: str | None = None,
) -> FeeConfiguration:
    """Put ``policy`` in force after checking the admin's fresh TOTP code; audit-logged as
    ``escrow.fee_changed``. Raises TotpRequired (403, on field ``totp_code``)."""
    await identity_admin.require_totp(session, admin, totp_code, field="totp_code")
    row = await set_fee_policy(session, policy, admin.id, note)
    await audit.record(
        session,
        actor_id=admin.id,
        action="escrow.fee_changed",
        target_type="fee_configuration",
        target_id=row.id,
        ip=ip,
        details={
            "percent_bps": policy.percent_bps,
            "flat": policy.flat,
            "cap": policy.cap,
            "payer": policy.payer,
            "note": note,
        },
    )
    return row


async def fee_history(session: AsyncSession, limit: int = 50) -> list[FeeConfiguration]:
    """Fee configurations, newest (the one in force) first."""
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
