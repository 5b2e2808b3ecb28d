"""Read-only views of the ledger for administrators: balances by filter, invariant check."""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from kro.ledger import store
from kro.ledger.service import Balance

PLATFORM_PREFIXES = ("platform:", "provider:", "payouts:")


async def list_balances(
    session: AsyncSession,
    *,
    code_prefixes: tuple[str, ...] = (),
    owner_id: str | None = None,
    currency: str | None = None,
    limit: int = 500,
) -> list[Balance]:
    """Balances of the accounts matching every given filter, ordered by code.

    ``code_prefixes``: any of these prefixes (e.g. ``("escrow:ord_…:",)``); ``owner_id``: the
    owner's accounts; ``currency``: ISO 4217 code.
    """
    accounts = store.accounts.c
    stmt = store.BALANCES
    if code_prefixes:
        stmt = stmt.where(or_(*(accounts.code.startswith(p) for p in code_prefixes)))
    if owner_id is not None:
        stmt = stmt.where(accounts.owner_id == owner_id)
    if currency is not None:
        stmt = stmt.where(accounts.currency == currency)
    rows = await session.execute(stmt.order_by(accounts.code).limit(limit))
    return [Balance(*row) for row in rows]
