"""``/v1/admin/payouts``: approve or reject large payouts (TOTP), list every payout.

Each route lists its own errors in ``responses=``; ``AdminUser``'s (401/403) and request
validation's are added by :mod:`kro.kit.openapi`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.identity import admin
from kro.identity.dependencies import AdminUser, ClientIp
from kro.identity.errors import TotpRequired
from kro.identity.models import User
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.ledger.errors import LedgerBusy
from kro.payouts import service, settlement, states
from kro.payouts.errors import PayoutNotAwaitingApproval, PayoutNotFound
from kro.payouts.models import BankAccount, Payout, PayoutEvent
from kro.payouts.schemas import PayoutOut

router = APIRouter(prefix="/v1/admin/payouts", tags=["admin: payouts"])


class DecisionIn(BaseModel):
    totp_code: str = Field(min_length=6, max_length=16)
    reason: str = Field(default="", max_length=500)


@router.get("")
async def payouts(
    _: AdminUser,
    session: DbSession,
    status: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Envelope[list[PayoutOut]]:
    """Every payout, newest first; ``status=pending_approval`` for the approval queue."""
    rows = await service.list_all(session, status=status, limit=limit)
    return ok([PayoutOut.model_validate(p) for p in rows])


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


async def _decide(
    approve: bool,
    payout_id: str,
    body: DecisionIn,
    user: AdminUser,
    session: DbSession,
    ip: str | None,
) -> PayoutOut:
    payout = await decide_with_totp(
        session,
        user,
        payout_id,
        approve=approve,
        reason=body.reason,
        totp_code=body.totp_code,
        ip=ip,
    )
    return PayoutOut.model_validate(payout)


@router.post(
    "/{payout_id}/approve",
    responses=error_responses(TotpRequired, PayoutNotFound, PayoutNotAwaitingApproval),
)
async def approve(
    payout_id: str, body: DecisionIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[PayoutOut]:
    """Send a payout waiting for approval. 403 ``totp_required``; 404 ``payout_not_found``;
    409 ``payout_not_awaiting_approval``."""
    return ok(await _decide(True, payout_id, body, user, session, ip))


@router.post(
    "/{payout_id}/reject",
    responses=error_responses(TotpRequired, PayoutNotFound, PayoutNotAwaitingApproval, LedgerBusy),
)
async def reject(
    payout_id: str, body: DecisionIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[PayoutOut]:
    """Refuse a payout waiting for approval: the wallet hold is released. Same errors as
    approving."""
    return ok(await _decide(False, payout_id, body, user, session, ip))
