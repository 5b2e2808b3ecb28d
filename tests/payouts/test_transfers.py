"""The payout jobs: Paystack is asked with no transaction open or row locked, every status
change is a recorded transition, unknown outcomes stay ``processing`` until Paystack's record
says otherwise, and concurrent runs change nothing twice."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs.models import Job
from kro.kit.clock import clock
from kro.kit.db import unit_of_work
from kro.kit.errors import InvalidTransition
from kro.ledger.invariants import check_invariants
from kro.payments.models import WebhookEvent
from kro.payouts import service, settlement, transfers
from kro.payouts.models import Payout, PayoutEvent
from kro.settings import Settings
from tests.payouts.conftest import FUNDS, FakePaystack, Payee, make_payee, run_job, wallet_of

AMOUNT = 250_000


async def _request(
    sessions: async_sessionmaker[AsyncSession],
    payee: Payee,
    amount: int = AMOUNT,
    threshold: int | None = None,
) -> Payout:
    async with unit_of_work(sessions) as s:
        payout, created = await service.request_payout(
            s,
            payee.user_id,
            amount=amount,
            currency="NGN",
            bank_account_id=payee.bank_account_id,
            idempotency_key=f"k-{amount}-{threshold}",
            approval_threshold=threshold,
        )
        assert created
        return payout


async def _load(sessions: async_sessionmaker[AsyncSession], payout_id: str) -> Payout:
    async with sessions() as s:
        payout = await s.get(Payout, payout_id)
        assert payout is not None
        return payout


async def _events(
    sessions: async_sessionmaker[AsyncSession], payout_id: str
) -> list[tuple[Any, ...]]:
    async with sessions() as s:
        rows = await s.scalars(
            select(PayoutEvent)
            .where(PayoutEvent.payout_id == payout_id)
            .order_by(PayoutEvent.created_at, PayoutEvent.id)
        )
        return [(e.action, e.from_status, e.to_status, e.actor) for e in rows]


async def _jobs(sessions: async_sessionmaker[AsyncSession], name: str) -> list[dict[str, Any]]:
    async with sessions() as s:
        return [j.payload for j in await s.scalars(select(Job).where(Job.name == name))]


async def _sound(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s:
        assert await check_invariants(s) == []


async def _row_is_free(sessions: async_sessionmaker[AsyncSession], payout_id: str) -> None:
    """Fail if anyone holds the payout row locked (PostgreSQL: FOR UPDATE NOWAIT) or the
    database's write lock (SQLite: the only lock it has)."""
    async with sessions() as s:
        if s.get_bind().dialect.name == "postgresql":
            stmt = select(Payout.id).where(Payout.id == payout_id).with_for_update(nowait=True)
            await s.execute(stmt)
        else:
            await s.execute(text("PRAGMA busy_timeout=50"))
            try:
                await s.execute(
                    text("UPDATE payouts SET updated_at = updated_at WHERE id = :id"),
                    {"id": payout_id},
                )
            finally:
                await s.rollback()
                await s.execute(text("PRAGMA busy_timeout=30000"))
        await s.rollback()


async def test_a_request_is_the_first_event_and_holds_the_money(
    sessions: async_sessionmaker[AsyncSession], payee: Payee
) -> None:
    payout = await _request(sessions, payee)
    assert payout.status == "pending"
    assert await _events(sessions, payout.id) == [
        ("request", None, "pending", f"user:{payee.user_id}")
    ]
    assert await wallet_of(sessions, payee) == (FUNDS - AMOUNT, AMOUNT)
    assert await _jobs(sessions, "payouts.create_recipient") == [{"payout_id": payout.id}]


async def test_approval_and_rejection_are_transitions_by_the_admin(
    sessions: async_sessionmaker[AsyncSession], payee: Payee
) -> None:
    big = await _request(sessions, payee, amount=400_000, threshold=300_000)
    other = await _request(sessions, payee, amount=500_000, threshold=300_000)
    assert big.status == other.status == "pending_approval"
    assert await _jobs(sessions, "payouts.create_recipient") == []
    async with unit_of_work(sessions) as s:
        await service.decide(s, "usr_admin", big.id, approve=True, reason="checked")
        await service.decide(s, "usr_admin", other.id, approve=False, reason="looks odd")
    assert await _events(sessions, big.id) == [
        ("request", None, "pending_approval", f"user:{payee.user_id}"),
        ("approve", "pending_approval", "pending", "admin:usr_admin"),
    ]
    assert (await _events(sessions, other.id))[-1] == (
        "reject",
        "pending_approval",
        "failed",
        "admin:usr_admin",
    )
    assert (await _load(sessions, other.id)).failure_reason == "rejected by an admin: looks odd"
    assert await wallet_of(sessions, payee) == (FUNDS - 400_000, 400_000)
    assert await _jobs(sessions, "payouts.create_recipient") == [{"payout_id": big.id}]
    async with sessions() as s:
        approved = await s.get(Payout, big.id)
        assert approved is not None
        with pytest.raises(InvalidTransition):  # approved once only
            await settlement.transition(s, approved, "approve", "admin:usr_admin")
        await s.rollback()
    await _sound(sessions)


async def test_paystack_is_asked_with_no_row_locked(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    paystack: FakePaystack,
    payee: Payee,
) -> None:
    payout = await _request(sessions, payee)
    seen: list[str] = []

    async def check(operation: str) -> None:
        await _row_is_free(sessions, payout.id)
        seen.append(operation)

    paystack.during = check
    await run_job(sessions, settings, "payouts.initiate_transfer", {"payout_id": payout.id})
    assert seen == ["verify_transfer", "initiate_transfer"]
    sent = await _load(sessions, payout.id)
    assert sent.status == "processing" and sent.transfer_code is not None
    assert (await _events(sessions, payout.id))[-1] == ("send", "pending", "processing", "system")
    # transfer.success arrives: read, verify with no lock held, then lock and settle.
    paystack.settle(payout.reference, "success")
    event = await _inbox(sessions, "transfer.success", payout.reference)
    await run_job(sessions, settings, "payouts.settle_transfer", {"event_id": event})
    assert seen[-1] == "verify_transfer"
    assert (await _load(sessions, payout.id)).status == "success"
    assert await wallet_of(sessions, payee) == (FUNDS - AMOUNT, 0)
    await _sound(sessions)


async def _inbox(
    sessions: async_sessionmaker[AsyncSession], kind: str, reference: str, delivery: int = 1
) -> str:
    """A verified ``transfer.*`` event stored in the inbox (delivery ``delivery``)."""
    body = {"event": kind, "data": {"reference": reference}}
    async with unit_of_work(sessions) as s:
        event = WebhookEvent(
            provider="paystack",
            event_key=f"{kind}:{reference}:{delivery}",
            event_type=kind,
            payload=json.dumps(body),
        )
        s.add(event)
        await s.flush()
        return event.id


async def test_recipient_is_created_without_a_lock_then_the_transfer_queued(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, paystack: FakePaystack
) -> None:
    payee = await make_payee(sessions, recipient=False)
    payout = await _request(sessions, payee)

    async def check(operation: str) -> None:
        await _row_is_free(sessions, payout.id)

    paystack.during = check
    await run_job(sessions, settings, "payouts.create_recipient", {"payout_id": payout.id})
    async with sessions() as s:
        account = await service.get_bank_account(s, payee.user_id, payee.bank_account_id)
        assert account.recipient_code == "RCP_0000000002"
    assert await _jobs(sessions, "payouts.initiate_transfer") == [{"payout_id": payout.id}]


async def test_a_timeout_stays_processing_and_is_verified_not_resent(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    paystack: FakePaystack,
    payee: Payee,
) -> None:
    payout = await _request(sessions, payee)
    paystack.timeouts = 1  # Paystack took it, but its answer was lost
    await run_job(sessions, settings, "payouts.initiate_transfer", {"payout_id": payout.id})
    unknown = await _load(sessions, payout.id)
    assert unknown.status == "processing" and unknown.transfer_code is None
    assert await wallet_of(sessions, payee) == (FUNDS - AMOUNT, AMOUNT)
    assert await _jobs(sessions, "payouts.verify_transfer") == [{"payout_id": payout.id, "poll": 1}]
    # A retry of the first job changes nothing: the payout is no longer pending.
    await run_job(sessions, settings, "payouts.initiate_transfer", {"payout_id": payout.id})
    # Verification adopts Paystack's record; still pending there: asked again later.
    await run_job(
        sessions, settings, "payouts.verify_transfer", {"payout_id": payout.id, "poll": 1}
    )
    assert (await _load(sessions, payout.id)).transfer_code is not None
    assert {"payout_id": payout.id, "poll": 2} in await _jobs(sessions, "payouts.verify_transfer")
    paystack.settle(payout.reference, "success")
    await run_job(
        sessions, settings, "payouts.verify_transfer", {"payout_id": payout.id, "poll": 2}
    )
    assert (await _load(sessions, payout.id)).status == "success"
    assert paystack.calls.count("initiate_transfer") == 1
    assert [e[0] for e in await _events(sessions, payout.id)] == ["request", "send", "succeed"]
    assert await wallet_of(sessions, payee) == (FUNDS - AMOUNT, 0)
    await _sound(sessions)


async def test_a_transfer_paystack_never_got_is_sent_again_with_the_same_reference(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    paystack: FakePaystack,
    payee: Payee,
) -> None:
    payout = await _request(sessions, payee)
    paystack.timeouts, paystack.lost = 1, True
    await run_job(sessions, settings, "payouts.initiate_transfer", {"payout_id": payout.id})
    assert (await _load(sessions, payout.id)).status == "processing"
    assert paystack.transfers == {}
    await run_job(
        sessions, settings, "payouts.verify_transfer", {"payout_id": payout.id, "poll": 1}
    )
    assert list(paystack.transfers) == [payout.reference]
    assert paystack.calls == [
        "verify_transfer",
        "initiate_transfer",
        "verify_transfer",  # 404: never received …
        "initiate_transfer",  # … so sent again, under the same reference
    ]
    assert (await _load(sessions, payout.id)).transfer_code is not None


async def test_a_refused_transfer_fails_and_frees_the_money(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    paystack: FakePaystack,
    payee: Payee,
) -> None:
    payout = await _request(sessions, payee)
    paystack.refuse = "Invalid bank account"
    await run_job(sessions, settings, "payouts.initiate_transfer", {"payout_id": payout.id})
    failed = await _load(sessions, payout.id)
    assert (failed.status, failed.failure_reason) == ("failed", "Invalid bank account")
    assert (await _events(sessions, payout.id))[-1] == (
        "fail",
        "pending",
        "failed",
        "provider:paystack",
    )
    assert await wallet_of(sessions, payee) == (FUNDS, 0)
    await _sound(sessions)


async def test_a_concurrent_run_changes_nothing_twice(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    paystack: FakePaystack,
    payee: Payee,
) -> None:
    """While the first run waits for Paystack, a second run of the same job sends and
    commits; the first then gets "duplicate reference" and finds the payout moved on."""
    payout = await _request(sessions, payee)
    ran = False

    async def second_run(operation: str) -> None:
        nonlocal ran
        if operation == "initiate_transfer" and not ran:
            ran = True
            await run_job(sessions, settings, "payouts.initiate_transfer", {"payout_id": payout.id})

    paystack.during = second_run
    await run_job(sessions, settings, "payouts.initiate_transfer", {"payout_id": payout.id})
    assert ran and len(paystack.transfers) == 1
    assert [e[0] for e in await _events(sessions, payout.id)] == ["request", "send"]
    assert await _jobs(sessions, "payouts.verify_transfer") == []
    assert (await _load(sessions, payout.id)).transfer_code is not None


async def test_the_webhook_settles_while_the_job_waits_then_the_job_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    paystack: FakePaystack,
    payee: Payee,
) -> None:
    """Paystack pays at once and its transfer.success is settled while the sending job still
    waits for Paystack's answer (pending → success: the table allows the skip); the job then
    finds the payout settled and changes nothing."""
    payout = await _request(sessions, payee)
    paystack.answer = "success"

    async def webhook_first(transfer: Any) -> None:
        event = await _inbox(sessions, "transfer.success", transfer.reference)
        await run_job(sessions, settings, "payouts.settle_transfer", {"event_id": event})

    paystack.after = webhook_first
    await run_job(sessions, settings, "payouts.initiate_transfer", {"payout_id": payout.id})
    done = await _load(sessions, payout.id)
    assert done.status == "success" and done.provider_fee == paystack.fee
    assert await _events(sessions, payout.id) == [
        ("request", None, "pending", f"user:{payee.user_id}"),
        ("succeed", "pending", "success", "provider:paystack"),
    ]
    assert await wallet_of(sessions, payee) == (FUNDS - AMOUNT, 0)
    # The same event delivered again, and the job run again: nothing changes.
    await run_job(sessions, settings, "payouts.initiate_transfer", {"payout_id": payout.id})
    again = await _inbox(sessions, "transfer.success", payout.reference, delivery=2)
    await run_job(sessions, settings, "payouts.settle_transfer", {"event_id": again})
    assert len(await _events(sessions, payout.id)) == 2
    async with sessions() as s:
        row = await s.get(WebhookEvent, again)
        assert row is not None and row.outcome is not None and "no change" in row.outcome
    await _sound(sessions)


async def test_a_transfer_whose_webhook_never_comes_is_settled_by_the_sweep(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    paystack: FakePaystack,
    payee: Payee,
) -> None:
    payout = await _request(sessions, payee)
    await run_job(sessions, settings, "payouts.initiate_transfer", {"payout_id": payout.id})
    assert (await _load(sessions, payout.id)).status == "processing"
    paystack.settle(payout.reference, "success")  # … and its transfer.success is lost
    # Too early: nothing to sweep yet.
    await run_job(sessions, settings, "payouts.reconcile_processing", {"slot": 1})
    assert await _jobs(sessions, "payouts.verify_transfer") == []
    clock.advance(transfers.SWEEP_AFTER + timedelta(minutes=1))
    await run_job(sessions, settings, "payouts.reconcile_processing", {"slot": 2})
    await run_job(sessions, settings, "payouts.reconcile_processing", {"slot": 2})  # once a tick
    assert await _jobs(sessions, "payouts.verify_transfer") == [{"payout_id": payout.id, "poll": 1}]
    await run_job(
        sessions, settings, "payouts.verify_transfer", {"payout_id": payout.id, "poll": 1}
    )
    assert (await _load(sessions, payout.id)).status == "success"
    assert paystack.calls.count("initiate_transfer") == 1
    assert await wallet_of(sessions, payee) == (FUNDS - AMOUNT, 0)
    await _sound(sessions)
