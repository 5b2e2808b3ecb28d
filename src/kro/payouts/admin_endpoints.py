"""``/v1/admin/payouts``: approve or reject large payouts (TOTP), list every payout.

Each route lists its own errors in ``responses=``; ``AdminUser``'s (401/403) and request
validation's are added by :mod:`kro.kit.openapi`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kro.identity.dependencies import AdminUser, ClientIp
from kro.identity.errors import TotpRequired
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.ledger.errors import LedgerBusy
from kro.payouts import approvals, service
from kro.payouts.errors import PayoutNotAwaitingApproval, PayoutNotFound
from kro.payouts.schemas import DecisionIn, PayoutOut

router = APIRouter(prefix="/v1/admin/payouts", tags=["admin: payouts"])


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


async def _decide(
    approve: bool,
    payout_id: str,
    body: DecisionIn,
    user: AdminUser,
    session: DbSession,
    ip: str | None,
) -> PayoutOut:
    payout = await approvals.decide_with_totp(
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
