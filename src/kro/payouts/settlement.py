"""Every status change of a payout, and the money that moves with it.

:func:`transition` is the one place a payout's status changes: it checks
:data:`kro.payouts.states.PAYOUT`, records a ``payout_events`` row (who, when, from, to, why)
and tells the owner (realtime ``payout.updated``; ``payout.sent`` / ``payout.failed``
notifications). The ledger side, all minor units (DESIGN.md section 4):

- request: a hold wallet → payouts in flight (:mod:`kro.payouts.service`);
- ``succeed``: the hold posted, in flight → Paystack clearing, Paystack's fee as an expense;
- ``fail`` / ``reject`` / ``reverse`` before success: the hold voided (the money is available);
- ``reverse`` after success: clearing → wallet, the fee back out of the expense.

Transfer ids derive from the payout id, so a retried job books nothing twice.
"""

from __future__ import annotations

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro import realtime
from kro.kit.clock import utcnow
from kro.ledger import chart
from kro.ledger.service import create_transfers
from kro.ledger.specs import PostPending, TransferSpec, VoidPending
from kro.notifications.service import notify
from kro.payouts import states
from kro.payouts.models import Payout, PayoutEvent
from kro.providers.paystack.schemas import Transfer

log = structlog.get_logger("kro.payouts")
PROVIDER = "paystack"
PAYSTACK = f"provider:{PROVIDER}"
"""``actor`` of the transitions Paystack's verified answers cause."""
SYSTEM = "system"
"""``actor`` of the transitions our own jobs decide (sending, an unknown outcome)."""

_REFUSED = frozenset({"failed", "abandoned", "blocked", "rejected"})
"""Paystack transfer statuses that mean the money never left (docs: "How transfers work")."""


async def record_request(
    session: AsyncSession, payout: Payout, actor: str, reason: str | None = None
) -> None:
    """Record the creation of ``payout`` (in one of :data:`states.ENTRY`) as its first
    event, from no status. Raises ValueError for another status (a programming error)."""
    if payout.status not in states.ENTRY:
        raise ValueError(f"a payout cannot be created {payout.status}")
    await _record(session, payout, states.REQUEST, None, actor, reason)


async def transition(
    session: AsyncSession, payout: Payout, action: str, actor: str, reason: str | None = None
) -> None:
    """Apply ``action`` through :data:`states.PAYOUT` (InvalidTransition 409 otherwise),
    record it as a ``payout_events`` row, and tell the owner.

    ``actor``: ``user:<id>``, ``admin:<id>``, :data:`PAYSTACK` or :data:`SYSTEM`; ``reason``
    is cut to 200 characters. Set fields the notification reads (``failure_reason``) first.
    """
    step = states.PAYOUT.next(payout.status, action)
    payout.status = step.to_state
    await _record(session, payout, action, step.from_state, actor, reason)
    await _tell(session, payout)


async def _record(
    session: AsyncSession,
    payout: Payout,
    action: str,
    from_status: str | None,
    actor: str,
    reason: str | None,
) -> None:
    session.add(
        PayoutEvent(
            payout_id=payout.id,
            action=action,
            from_status=from_status,
            to_status=payout.status,
            actor=actor[:64],
            reason=(reason or "")[:200] or None,
        )
    )
    await session.flush()


async def events_of(session: AsyncSession, payout_id: str) -> list[PayoutEvent]:
    """The payout's transitions, oldest first."""
    stmt = (
        select(PayoutEvent)
        .where(PayoutEvent.payout_id == payout_id)
        .order_by(PayoutEvent.created_at, PayoutEvent.id)
    )
    return list((await session.execute(stmt)).scalars())


async def _tell(session: AsyncSession, payout: Payout) -> None:
    """Realtime ``payout.updated`` (and so a wallet refresh) to the payout's owner; on an
    outcome, the ``payout.sent`` or ``payout.failed`` notification (the money is back in the
    wallet after a failure or a reversal)."""
    await realtime.publish(
        session,
        [payout.user_id],
        "payout.updated",
        {"payout_id": payout.id, "status": payout.status, "amount": payout.amount},
        dedupe_key=f"realtime:{payout.id}:{payout.status}",
    )
    event = {
        states.SUCCESS: "payout.sent",
        states.FAILED: "payout.failed",
        states.REVERSED: "payout.failed",
    }.get(payout.status)
    if event is not None:
        context = {"payout_id": payout.id, "amount": payout.amount, "currency": payout.currency}
        if event == "payout.failed":
            context["reason"] = payout.failure_reason or ""
        await notify(session, payout.user_id, event, context, dedupe_key=payout.id)


async def fail_payout(
    session: AsyncSession, payout: Payout, reason: str, *, action: str = "fail", actor: str
) -> None:
    """``fail``, ``reject`` or ``reverse`` a payout whose hold is still pending: the hold is
    voided and the money is available again. Raises InvalidTransition (409) before anything
    moves when ``action`` is not allowed from the payout's status."""
    states.PAYOUT.next(payout.status, action)
    await create_transfers(
        session, [VoidPending(id=f"trf_{payout.id}_void", pending_id=payout.hold_transfer_id)]
    )
    payout.failure_reason, payout.completed_at = reason[:200], utcnow()
    await transition(session, payout, action, actor, reason)


def settlement_action(payout_status: str, transfer_status: str) -> str | None:
    """What Paystack's verified ``transfer_status`` does to a payout in ``payout_status``:
    an action of :data:`states.PAYOUT` allowed from it, or None (nothing: a duplicate, an
    out-of-order event, or a status that is not conclusive yet)."""
    if transfer_status == "success":
        action = (
            "paid_after_release" if payout_status in (states.FAILED, states.REVERSED) else "succeed"
        )
    elif transfer_status == "reversed":
        action = "reverse"
    elif transfer_status in _REFUSED:
        action = "fail"
    else:
        return None
    return action if action in states.PAYOUT.allowed(payout_status) else None


async def settle_payout(
    session: AsyncSession, payout: Payout, verified: Transfer, *, actor: str = PAYSTACK
) -> str:
    """Apply Paystack's transfer (from ``GET /transfer/verify/:reference`` or its answer to
    ``POST /transfer``, never a webhook's word) to the locked ``payout``; returns what
    happened, for the inbox row. Idempotent: a duplicate changes nothing.

    - ``success`` while pending or processing: post the hold and book the transfer and
      Paystack's fee in one atomic batch;
    - ``failed`` / ``abandoned`` / ``blocked`` / ``rejected`` while pending or processing:
      void the hold (``failed``);
    - ``reversed``: void the hold if it was never posted; after success, return the money to
      the wallet;
    - ``success`` after we released the hold (failed, reversed): ``needs_review`` — the wallet
      may have spent the money again; nothing moves, an operator looks;
    - anything else (``pending``, ``otp``): nothing yet.
    """
    action = settlement_action(payout.status, verified.status)
    if action is None:
        return f"no change (payout {payout.status}, transfer {verified.status})"
    if verified.transfer_code:
        payout.transfer_code = verified.transfer_code
    if action == "succeed":
        await _post_success(session, payout, verified, actor)
    elif action == "fail" or (action == "reverse" and payout.status in states.OPEN):
        reason = verified.gateway_response or f"transfer {verified.status}"
        await fail_payout(session, payout, reason, action=action, actor=actor)
    elif action == "reverse":
        await _reverse_success(session, payout, actor)
    else:
        await transition(
            session, payout, action, actor, "Paystack paid after the hold was released"
        )
        log.error("payout_paid_after_release", payout_id=payout.id, reference=payout.reference)
    return payout.status


async def _post_success(
    session: AsyncSession, payout: Payout, verified: Transfer, actor: str
) -> None:
    clearing = await chart.ensure_provider_clearing(session, PROVIDER, payout.currency)
    in_flight = await chart.ensure_payouts_in_flight(session, payout.currency)
    batch: list[PostPending | TransferSpec] = [
        PostPending(id=f"trf_{payout.id}_post", pending_id=payout.hold_transfer_id),
        TransferSpec(
            id=f"trf_{payout.id}_out",
            debit_account_id=in_flight.id,
            credit_account_id=clearing.id,
            amount=payout.amount,
            currency=payout.currency,
            code="payout.sent",
            reference=payout.reference,
        ),
    ]
    fee = verified.fee_charged or 0
    if fee > 0:
        fees = await chart.ensure_provider_fees(session, PROVIDER, payout.currency)
        batch.append(
            TransferSpec(
                id=f"trf_{payout.id}_fee",
                debit_account_id=fees.id,
                credit_account_id=clearing.id,
                amount=fee,
                currency=payout.currency,
                code="payout.provider_fee",
                reference=payout.reference,
            )
        )
    await create_transfers(session, batch)
    payout.provider_fee, payout.completed_at = fee, utcnow()
    await transition(session, payout, "succeed", actor, f"transfer {verified.status}")


async def _reverse_success(session: AsyncSession, payout: Payout, actor: str) -> None:
    """Paystack returned a sent transfer (and its fee) to our balance: the money goes back to
    the wallet; the fee back out of the fee expense."""
    clearing = await chart.ensure_provider_clearing(session, PROVIDER, payout.currency)
    wallet = await chart.ensure_wallet(session, payout.user_id, payout.currency)
    batch = [
        TransferSpec(
            id=f"trf_{payout.id}_reversal",
            debit_account_id=clearing.id,
            credit_account_id=wallet.id,
            amount=payout.amount,
            currency=payout.currency,
            code="payout.reversed",
            reference=payout.reference,
        )
    ]
    if payout.provider_fee > 0:
        fees = await chart.ensure_provider_fees(session, PROVIDER, payout.currency)
        batch.append(
            TransferSpec(
                id=f"trf_{payout.id}_fee_reversal",
                debit_account_id=clearing.id,
                credit_account_id=fees.id,
                amount=payout.provider_fee,
                currency=payout.currency,
                code="payout.provider_fee_reversed",
                reference=payout.reference,
            )
        )
    await create_transfers(session, batch)
    payout.failure_reason = "the bank returned the transfer"
    payout.completed_at = utcnow()
    await transition(session, payout, "reverse", actor, "transfer reversed after success")
