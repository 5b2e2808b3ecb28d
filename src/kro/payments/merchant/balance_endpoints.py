"""``GET /v1/balance``: what the platform owes the API key's tenant, per currency, in the key's
mode (seed 003 §4.2: "refunds and the ledger"). Read from the ledger's merchant balance
accounts (``merchant:{tenant_id}:{mode}:{currency}``, kro.ledger.chart), credited by each
collection less the provider's fee and debited by refunds.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kro.identity.dependencies import CurrentTenant
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.ledger.service import balances_for_owner

router = APIRouter(tags=["merchant API: balance"])


class BalanceOut(BaseModel):
    """One currency's merchant balance. All amounts are minor units (kobo for NGN):
    ``available`` = posted credits − posted debits − outgoing holds; ``pending`` = incoming
    holds."""

    currency: str
    available: int = Field(description="minor units")
    pending: int = Field(description="minor units")
    credits_posted: int = Field(description="minor units")
    debits_posted: int = Field(description="minor units")


@router.get("/v1/balance")
async def get_balance(ctx: CurrentTenant, session: DbSession) -> Envelope[list[BalanceOut]]:
    """The key's tenant's balances in the key's mode, one row per currency that has seen
    money (empty before the first payment). A test key never sees live money.
    Errors: 401 ``invalid_api_key``; 429 ``rate_limited``."""
    prefix = f"merchant:{ctx.tenant_id}:{ctx.mode}:"
    owned = await balances_for_owner(session, ctx.tenant_id)
    rows = [b for b in owned if b.code.startswith(prefix)]
    return ok(
        [
            BalanceOut(
                currency=b.currency,
                available=b.available,
                pending=b.pending,
                credits_posted=b.credits_posted,
                debits_posted=b.debits_posted,
            )
            for b in rows
        ]
    )
