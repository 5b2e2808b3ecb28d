"""``/v1/admin/ledger/*``: balances and the invariant check, for administrators only."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from kro.identity.dependencies import AdminUser
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.ledger.invariants import check_invariants
from kro.ledger.reports import PLATFORM_PREFIXES, list_balances

router = APIRouter(prefix="/v1/admin/ledger", tags=["admin: ledger"])

Scope = Literal["all", "platform", "order"]


def scope_prefixes(scope: Scope, order_id: str | None = None) -> tuple[str, ...]:
    """The account-code prefixes of a view: ``platform`` (provider clearing and fees, platform
    fees, payouts in flight), ``order`` (the escrow accounts of ``order_id``), ``all``."""
    if scope == "platform":
        return PLATFORM_PREFIXES
    if scope == "order":
        return (f"escrow:{order_id or '-'}:",)
    return ()


class AccountBalanceOut(BaseModel):
    """Counters in minor units; ``balance`` is the net posted balance on the account's normal
    side; ``available`` less outgoing holds; ``pending`` incoming holds."""

    id: str
    code: str
    currency: str
    kind: str
    owner_id: str | None
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int
    balance: int
    available: int
    pending: int


class InvariantReport(BaseModel):
    ok: bool
    problems: list[str]


@router.get("/accounts")
async def accounts(
    _: AdminUser,
    session: DbSession,
    scope: Annotated[Scope, Query()] = "all",
    order_id: Annotated[str | None, Query(max_length=32)] = None,
    owner_id: Annotated[str | None, Query(max_length=32)] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> Envelope[list[AccountBalanceOut]]:
    """Ledger accounts and balances: ``scope=platform`` (provider clearing and fees, platform
    fees, payouts in flight), ``scope=order&order_id=…`` (an escrow account), or by owner."""
    rows = await list_balances(
        session,
        code_prefixes=scope_prefixes(scope, order_id),
        owner_id=owner_id,
        currency=currency,
    )
    return ok(
        [
            AccountBalanceOut(
                id=b.account_id,
                code=b.code,
                currency=b.currency,
                kind=b.kind,
                owner_id=b.owner_id,
                debits_posted=b.debits_posted,
                credits_posted=b.credits_posted,
                debits_pending=b.debits_pending,
                credits_pending=b.credits_pending,
                balance=b.posted,
                available=b.available,
                pending=b.pending,
            )
            for b in rows
        ]
    )


@router.get("/invariants")
async def invariants(_: AdminUser, session: DbSession) -> Envelope[InvariantReport]:
    """Debits = credits per currency; every balance = the sum of its transfers; no limited
    account beyond its limit. ``problems`` lists each violation."""
    problems = await check_invariants(session)
    return ok(InvariantReport(ok=not problems, problems=problems))
