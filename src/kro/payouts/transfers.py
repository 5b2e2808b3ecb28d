"""The payout jobs' work with Paystack: the recipient, the transfer, and verifying an unknown
outcome — never with a transaction open or a row locked while Paystack answers.

Each job body has three steps (DESIGN.md section 5; STYLE.md "Avoid"):

1. :func:`read` what it needs in a short transaction of its own (``sessions``) and release it;
2. ask Paystack with no transaction open, so a slow provider never holds a payout row that
   the ``transfer.*`` webhook, an admin or another worker needs;
3. lock the payout on the job's ``session`` and write, re-checking its status first: a
   concurrent run of the same job, or the webhook, may have got there while Paystack was
   answering, and then nothing changes twice.

Money rules: the transfer is sent with our ``reference``, Paystack's idempotency key (a
second ``POST /transfer`` with it is refused as a duplicate, never paid twice); before sending,
``GET /transfer/verify/:reference`` is asked, and only its 404 means "never seen". An unknown
outcome (a timeout on ``POST /transfer``, or a duplicate refusal) moves the payout to
``processing`` and queues ``payouts.verify_transfer``; it is never resent blindly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.payouts import settlement, states
from kro.payouts.models import BankAccount, Payout
from kro.providers.errors import ProviderRejected, ProviderTimeout
from kro.providers.paystack.client import PaystackClient
from kro.providers.paystack.schemas import Transfer

log = structlog.get_logger("kro.payouts")

VERIFY_JOB = "payouts.verify_transfer"
MAX_POLLS = 8
# A payout ``processing`` this long without any change is verified by the sweep: its
# transfer.* webhook may never come (Paystack stops retrying after 72 h; a lost one is lost).
SWEEP_AFTER = timedelta(minutes=15)
"""Verifications after an unknown outcome (30 s, doubling: about two hours in all); after
that the payout stays ``processing`` and Paystack's ``transfer.*`` webhook settles it."""


@dataclass(frozen=True)
class Snapshot:
    """What a job read about a payout and its bank account (``amount`` minor units)."""

    payout_id: str
    status: str
    amount: int
    currency: str
    reference: str
    bank_account_id: str
    account_name: str
    account_number: str
    bank_code: str
    account_currency: str
    recipient_code: str | None


@dataclass(frozen=True)
class Answer:
    """Paystack's word on a transfer: its record (``transfer``), a refusal that means nothing
    was sent (``rejected``, its message), or an unknown outcome (``unknown``, why)."""

    transfer: Transfer | None = None
    rejected: str | None = None
    unknown: str | None = None


async def read(sessions: async_sessionmaker[AsyncSession], payout_id: str) -> Snapshot | None:
    """The payout and its bank account, read in a short transaction of their own (no lock);
    None if the payout does not exist."""
    async with unit_of_work(sessions) as s:
        payout = await s.get(Payout, payout_id)
        if payout is None:
            return None
        account = await s.get(BankAccount, payout.bank_account_id)
        assert account is not None  # bank accounts are never deleted
        return Snapshot(
            payout_id=payout.id,
            status=payout.status,
            amount=payout.amount,
            currency=payout.currency,
            reference=payout.reference,
            bank_account_id=account.id,
            account_name=account.account_name,
            account_number=account.account_number,
            bank_code=account.bank_code,
            account_currency=account.currency,
            recipient_code=account.recipient_code,
        )


async def _lock(session: AsyncSession, payout_id: str) -> Payout | None:
    return await session.get(Payout, payout_id, with_for_update=True, populate_existing=True)


async def create_recipient(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    client: PaystackClient,
    payout_id: str,
) -> None:
    """Job ``payouts.create_recipient``: ensure the bank account's Paystack recipient
    (idempotent on Paystack's side), then queue the transfer. A refusal (Paystack will never
    accept this account) fails a still-pending payout and voids its hold. ProviderUnavailable
    and ProviderTimeout propagate (the job is retried)."""
    snap = await read(sessions, payout_id)
    if snap is None or snap.status != states.PENDING:
        return
    if snap.recipient_code is None:
        try:
            recipient = await client.create_transfer_recipient(
                snap.account_name, snap.account_number, snap.bank_code, snap.account_currency
            )
        except ProviderRejected as exc:
            payout = await _lock(session, payout_id)
            if payout is not None and payout.status == states.PENDING:
                await settlement.fail_payout(
                    session, payout, exc.message, actor=settlement.PAYSTACK
                )
            return
        account = await session.get(
            BankAccount, snap.bank_account_id, with_for_update=True, populate_existing=True
        )
        assert account is not None
        if account.recipient_code is None:  # a concurrent job may have saved the same one
            account.recipient_code = recipient.recipient_code
            await session.flush()
    await enqueue(
        session,
        "payouts.initiate_transfer",
        {"payout_id": payout_id},
        dedupe_key=f"payout_transfer:{payout_id}",
    )


async def send_transfer(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    client: PaystackClient,
    payout_id: str,
) -> None:
    """Job ``payouts.initiate_transfer``: send a ``pending`` payout's transfer (verify first,
    our reference) and apply Paystack's answer: accepted → ``processing`` (settled at once if
    Paystack's answer is conclusive); refused → ``failed``, the hold voided; unknown →
    ``processing`` and verified later. ProviderUnavailable (nothing was accepted) and errors
    of the verify call propagate: the job is retried, still ``pending``."""
    snap = await read(sessions, payout_id)
    if snap is None or snap.status != states.PENDING:
        return
    answer = await ask(client, snap)
    await apply(session, payout_id, answer, expected=states.PENDING, poll=0)


async def verify_transfer(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    client: PaystackClient,
    payout_id: str,
    poll: int,
) -> None:
    """Job ``payouts.verify_transfer`` (``poll`` ≥ 1): a ``processing`` payout whose outcome
    was unknown. Paystack's record settles it (or, still pending, is asked again later, up to
    :data:`MAX_POLLS` times); a 404 means Paystack never received it, and it is sent again
    with the same reference (:func:`ask`). ProviderUnavailable / ProviderTimeout propagate."""
    snap = await read(sessions, payout_id)
    if snap is None or snap.status != states.PROCESSING:
        return
    answer = await ask(client, snap)
    await apply(session, payout_id, answer, expected=states.PROCESSING, poll=poll)


async def ask(client: PaystackClient, snap: Snapshot) -> Answer:
    """Paystack's record of the transfer under ``snap.reference``; only if it has none
    (verify answers 404), ``POST /transfer`` with that reference. Call with no transaction
    open. ProviderUnavailable (not accepted) and the verify call's errors propagate."""
    known = await _known_transfer(client, snap.reference)
    if known is not None:
        return Answer(transfer=known)
    assert snap.recipient_code is not None, "the recipient is created before the transfer"
    try:
        transfer = await client.initiate_transfer(
            snap.amount,
            snap.recipient_code,
            snap.reference,
            f"KRO payout {snap.payout_id}",
            snap.currency,
        )
    except ProviderTimeout as exc:
        return Answer(unknown=f"Paystack did not answer ({exc.message}); outcome unknown")
    except ProviderRejected as exc:
        if exc.provider_code == "duplicate_reference" or "duplicate" in exc.message.lower():
            return Answer(unknown="Paystack already has a transfer with this reference")
        return Answer(rejected=exc.message)
    return Answer(transfer=transfer)


async def _known_transfer(client: PaystackClient, reference: str) -> Transfer | None:
    """The transfer Paystack has under ``reference``, or None if it answers 404."""
    try:
        return await client.verify_transfer(reference)
    except ProviderRejected as exc:
        if exc.provider_status == 404:
            return None
        raise


async def apply(
    session: AsyncSession, payout_id: str, answer: Answer, *, expected: str, poll: int
) -> None:
    """Lock the payout and apply ``answer``, which was asked while it was ``expected``.

    Paystack's record of the transfer applies while the hold is open (``pending`` or
    ``processing``): the transfer is ``sent`` and, if conclusive, settled. A refusal or an
    unknown outcome applies only if the payout is still ``expected``: otherwise a concurrent
    run or the webhook got there first, and nothing changes twice.
    """
    payout = await _lock(session, payout_id)
    if payout is None:
        return
    if answer.transfer is not None:
        if payout.status in states.OPEN:
            await _adopt(session, payout, answer.transfer, poll)
        return
    if payout.status != expected:
        return
    if answer.rejected is not None:
        await settlement.fail_payout(session, payout, answer.rejected, actor=settlement.PAYSTACK)
        return
    assert answer.unknown is not None
    if payout.status == states.PENDING:
        await settlement.transition(session, payout, "send", settlement.SYSTEM, answer.unknown)
    await _verify_later(session, payout, poll + 1, answer.unknown)


async def _adopt(session: AsyncSession, payout: Payout, transfer: Transfer, poll: int) -> None:
    if payout.status == states.PENDING:
        why = f"Paystack has transfer {transfer.transfer_code} ({transfer.status})"
        await settlement.transition(session, payout, "send", settlement.SYSTEM, why)
    payout.transfer_code = transfer.transfer_code
    await session.flush()
    if transfer.is_final:
        await settlement.settle_payout(session, payout, transfer)
    elif poll > 0:  # asked after an unknown outcome: keep asking until it is conclusive
        await _verify_later(session, payout, poll + 1, f"transfer still {transfer.status}")


async def stale_processing(
    session: AsyncSession, now: datetime, *, older_than: timedelta = SWEEP_AFTER, limit: int = 500
) -> list[str]:
    """Ids of payouts ``processing`` and unchanged for ``older_than``, oldest first (the
    periodic sweep asks Paystack about each)."""
    rows = await session.execute(
        select(Payout.id)
        .where(Payout.status == states.PROCESSING, Payout.updated_at <= now - older_than)
        .order_by(Payout.updated_at)
        .limit(limit)
    )
    return [str(payout_id) for payout_id in rows.scalars()]


def verify_delay(poll: int) -> timedelta:
    """Wait before verification number ``poll`` (1, 2, …): 30 s, doubling."""
    return timedelta(seconds=30 * 2 ** (poll - 1))


async def _verify_later(session: AsyncSession, payout: Payout, poll: int, why: str) -> None:
    if poll > MAX_POLLS:
        log.warning("payout_outcome_still_unknown", payout_id=payout.id, why=why)
        return
    await enqueue(
        session,
        VERIFY_JOB,
        {"payout_id": payout.id, "poll": poll},
        run_at=utcnow() + verify_delay(poll),
        dedupe_key=f"payout_verify:{payout.id}:{poll}",
    )
