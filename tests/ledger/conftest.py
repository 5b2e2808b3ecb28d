"""Ledger fixtures: a clearing (asset) account and a funded wallet in the test's session."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kro.ledger.models import LedgerAccount
from tests.ledger.factories import fund, make_account, make_wallet


@pytest.fixture
async def clearing(session: AsyncSession) -> LedgerAccount:
    """An unflagged asset account: money a provider holds for us."""
    return await make_account(session, "asset", name="clearing")


@pytest.fixture
async def wallet(session: AsyncSession, clearing: LedgerAccount) -> LedgerAccount:
    """A wallet (debits_must_not_exceed_credits) funded with 10_000 minor units."""
    account = await make_wallet(session)
    await fund(session, account, 10_000, source=clearing)
    return account
