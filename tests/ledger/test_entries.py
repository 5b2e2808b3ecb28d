"""An account's statement: the transfers that touch it, newest first, each from its side."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.ledger.models import LedgerAccount
from kro.ledger.service import PostPending, account_entries, create_transfer
from tests.ledger.factories import make_account, spec


async def test_entries_are_the_accounts_own_newest_first(
    session: AsyncSession, wallet: LedgerAccount
) -> None:
    escrow = await make_account(session, limited=True, name="escrow")
    other = await make_account(session, name="other")
    clock.advance(timedelta(seconds=1))
    hold = await create_transfer(
        session, spec(wallet, escrow, 6_000, pending=True, code="test.hold", reference="r-1")
    )
    clock.advance(timedelta(seconds=1))
    await create_transfer(
        session, PostPending(id=f"{hold.id}_post", pending_id=hold.id, amount=2_000)
    )
    clock.advance(timedelta(seconds=1))
    await create_transfer(session, spec(escrow, other, 1_000))  # not the wallet's

    entries = await account_entries(session, wallet.id)
    assert [(e.kind, e.side, e.amount, e.code, e.reference) for e in entries] == [
        ("post_pending", "debit", 2_000, "test.hold", "r-1"),
        ("pending", "debit", 6_000, "test.hold", "r-1"),
        ("normal", "credit", 10_000, "test.fund", None),
    ]
    assert entries[1].status == "posted" and entries[0].pending_id == hold.id
    assert [e.side for e in await account_entries(session, escrow.id)] == [
        "debit",
        "credit",
        "credit",
    ]
    assert len(await account_entries(session, wallet.id, limit=1)) == 1
