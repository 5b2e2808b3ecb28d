"""Approving payouts above the threshold (seed 001: TOTP for payout approvals): the admin
API and the admin console both call these."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.identity import admin
from kro.identity.models import User
from kro.payouts import service, settlement, states
from kro.payouts.errors import PayoutNotFound
from kro.payouts.models import BankAccount, Payout, PayoutEvent


async def decide_with_totp(
    session: AsyncSession,
    admin_user: User,
    payout_id: str,
    *,
    approve: bool,
    reason: str,
    totp_code: str,
    ip: str | None = None,
) -> Payout:
    """An admin's decision on a payout waiting for approval, after a fresh TOTP code (DESIGN.md
    section 6), audit-logged as ``payouts.approved`` / ``payouts.rejected``. The admin API and
    the admin console both call this. Raises TotpRequired (403, on field ``totp_code``) and
    what :func:`kro.payouts.service.decide` raises."""
    await admin.require_totp(session, admin_user, totp_code, field="totp_code")
    payout = await service.decide(session, admin_user.id, payout_id, approve=approve, reason=reason)
    await audit.record(
        session,
        actor_id=admin_user.id,
        action="payouts.approved" if approve else "payouts.rejected",
        target_type="payout",
        target_id=payout.id,
        ip=ip,
        details={"amount": payout.amount, "currency": payout.currency, "reason": reason},
    )
    return payout


@dataclass(frozen=True)
class PayoutFile:
    """What an admin reads before deciding: the payout, its transitions (oldest first) and
    the bank account it goes to."""

    payout: Payout
    events: list[PayoutEvent]
    bank_account: BankAccount


async def payout_file(session: AsyncSession, payout_id: str) -> PayoutFile:
    """Any user's payout with its transitions and bank account; PayoutNotFound (404)."""
    payout = await session.get(Payout, payout_id)
    if payout is None:
        raise PayoutNotFound()
    events = await settlement.events_of(session, payout.id)
    account = await service.get_bank_account(session, payout.user_id, payout.bank_account_id)
    return PayoutFile(payout, events, account)


async def count_waiting(session: AsyncSession) -> int:
    """How many payouts wait for an admin's approval."""
    stmt = select(func.count()).select_from(Payout).where(Payout.status == states.PENDING_APPROVAL)
    return int((await session.execute(stmt)).scalar_one())
