"""check_invariants finds what is wrong when the ledger is tampered with behind its back."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kro.ledger.models import LedgerAccount
from kro.ledger.service import PostPending, check_invariants, create_transfer
from tests.ledger.factories import make_account, make_wallet, spec


async def _problems_after(session: AsyncSession, sql: str, **params: object) -> list[str]:
    await session.execute(text(sql), params)
    return await check_invariants(session)


async def test_a_sound_ledger_has_no_problems(session: AsyncSession) -> None:
    assert await check_invariants(session) == []


async def test_a_lost_update_is_found(session: AsyncSession, wallet: LedgerAccount) -> None:
    problems = await _problems_after(
        session, "UPDATE ledger_accounts SET credits_posted = 9000 WHERE id = :id", id=wallet.id
    )
    assert any("credits_posted 9000 != 10000 from its transfers" in p for p in problems)
    assert any(p.startswith("NGN: debits_posted") for p in problems)


async def test_a_lost_shard_update_is_found(session: AsyncSession, clearing: LedgerAccount) -> None:
    fees = await make_account(session, "revenue", shards=4)
    await create_transfer(session, spec(clearing, fees, 10))
    problems = await _problems_after(session, "DELETE FROM ledger_account_shards")
    assert any(f"account {fees.id}" in p and "credits_posted 0 != 10" in p for p in problems)


async def test_a_transfer_without_balance_change_is_found(
    session: AsyncSession, wallet: LedgerAccount, clearing: LedgerAccount
) -> None:
    problems = await _problems_after(
        session,
        "INSERT INTO ledger_transfers (id, kind, debit_account_id, credit_account_id, amount, "
        "currency, code, batch_id, created_at) VALUES ('trf_ghost', 'normal', :d, :c, 5, 'NGN', "
        "'x', 'bat_x', CURRENT_TIMESTAMP)",
        d=clearing.id,
        c=wallet.id,
    )
    assert len([p for p in problems if "from its transfers" in p]) == 2


async def test_hold_status_out_of_step_is_found(
    session: AsyncSession, wallet: LedgerAccount
) -> None:
    escrow = await make_wallet(session)
    hold = await create_transfer(session, spec(wallet, escrow, 100, pending=True))
    await create_transfer(session, PostPending("trf_post", hold.id, amount=60))
    problems = await _problems_after(
        session, "UPDATE ledger_transfers SET amount_posted = 70 WHERE id = :id", id=hold.id
    )
    assert problems == [f"pending transfer {hold.id} (posted): posted 60, recorded 70 of 100"]


@pytest.mark.parametrize("status", ["pending", "voided"])
async def test_resolution_and_status_disagree(
    session: AsyncSession, wallet: LedgerAccount, status: str
) -> None:
    escrow = await make_wallet(session)
    hold = await create_transfer(session, spec(wallet, escrow, 100, pending=True))
    await create_transfer(session, PostPending("trf_post", hold.id))
    problems = await _problems_after(
        session,
        "UPDATE ledger_transfers SET status = :s, amount_posted = 0 WHERE id = :id",
        s=status,
        id=hold.id,
    )
    assert any(p.startswith(f"pending transfer {hold.id} ({status})") for p in problems)
