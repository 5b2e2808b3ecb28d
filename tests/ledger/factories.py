"""Ledger test factories: accounts with unique codes, funding, specs, the invariant check.

Plain functions (imported by the tests); the fixtures live in ``conftest.py``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.ids import new_id
from kro.ledger.models import LedgerAccount
from kro.ledger.service import (
    TransferSpec,
    check_invariants,
    create_transfer,
    get_or_create_account,
)

CURRENCY = "NGN"


async def make_account(
    session: AsyncSession,
    kind: str = "liability",
    *,
    currency: str = CURRENCY,
    limited: bool = False,
    owner_id: str | None = None,
    shards: int = 1,
    credits_limited: bool = False,
    name: str = "acct",
) -> LedgerAccount:
    """A fresh account; ``limited``: debits_must_not_exceed_credits (a wallet)."""
    return await get_or_create_account(
        session,
        f"test:{name}:{new_id('tst')}",
        currency,
        kind,
        debits_must_not_exceed_credits=limited,
        credits_must_not_exceed_debits=credits_limited,
        owner_id=owner_id,
        balance_shards=shards,
    )


async def make_wallet(session: AsyncSession, *, currency: str = CURRENCY) -> LedgerAccount:
    return await make_account(session, limited=True, currency=currency, name="wallet")


async def fund(
    session: AsyncSession,
    account: LedgerAccount,
    amount: int,
    *,
    source: LedgerAccount | None = None,
) -> LedgerAccount:
    """Credit ``account`` with ``amount`` from an asset (clearing) account; returns the source."""
    if source is None:
        source = await make_account(session, "asset", currency=account.currency, name="clearing")
    await create_transfer(
        session,
        TransferSpec(new_id("trf"), source.id, account.id, amount, account.currency, "test.fund"),
    )
    return source


def spec(
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount: int,
    *,
    pending: bool = False,
    code: str = "test.move",
    id: str | None = None,
    **kwargs: object,
) -> TransferSpec:
    """A transfer request between two accounts in the debit account's currency."""
    return TransferSpec(
        id or new_id("trf"),
        debit.id,
        credit.id,
        amount,
        debit.currency,
        code,
        pending=pending,
        **kwargs,  # type: ignore[arg-type]
    )


async def assert_sound(session: AsyncSession) -> None:
    problems = await check_invariants(session)
    assert problems == [], problems
