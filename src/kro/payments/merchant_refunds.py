"""Merchant API refunds (seed 003 §4.2): partial or full, never more than was captured.

Requesting a refund books the ledger at once, in the request's transaction (the money is no
longer the merchant's): ``merchant balance → provider clearing`` — refused with 409
``insufficient_funds`` when the balance cannot cover it. The provider call is a job
(``payments.merchant_refund``, through the outbox) carrying our refund id as the provider's
idempotency reference; the provider's answer (its status endpoint, a webhook, or a later poll)
settles it. A failed refund reverses the booking. Services only flush.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.audit import service as audit
from kro.jobs.errors import PermanentJobError, RetryJob
from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.kit.errors import Conflict, NotFound
from kro.ledger import chart
from kro.ledger.service import create_transfers
from kro.ledger.specs import TransferSpec
from kro.payments import orchestration, states
from kro.payments.models import Payment, ProviderConfig, Refund
from kro.payments.schemas import RefundOut
from kro.providers.base import ProviderRefund, RefundStatus
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.settings import Settings
from kro.webhooks import service as webhooks

log = structlog.get_logger("kro.payments.merchant_refunds")
POLL = timedelta(seconds=30)
MAX_POLLS = 120


class RefundNotFound(NotFound):
    code = "refund_not_found"
    message = "No such refund."


class NotRefundable(Conflict):
    code = "payment_not_refundable"
    message = "Only a completed payment can be refunded."


class RefundExceedsCaptured(Conflict):
    code = "refund_exceeds_captured"
    message = "A refund cannot exceed what was captured minus what was already refunded."


async def create_refund(
    session: AsyncSession,
    *,
    tenant_id: str,
    mode: str,
    payment_id: str,
    amount: int | None,
    reason: str | None,
    actor: str,
    ip: str | None = None,
) -> Refund:
    """Refund ``amount`` minor units (default: all that is left) of a captured payment.

    Raises PaymentNotFound (404), NotRefundable (409), RefundExceedsCaptured (409),
    InsufficientFunds (409, the merchant balance cannot cover it). Concurrent refunds of one
    payment are serialised by the payment's row lock (PostgreSQL) or the write lock (SQLite).
    """
    payment = await orchestration.get_payment(session, tenant_id, mode, payment_id, for_update=True)
    if payment.status not in (states.COMPLETED, states.PARTIALLY_REFUNDED):
        raise NotRefundable(details={"status": payment.status})
    left = payment.amount_captured - payment.amount_refunded
    wanted = left if amount is None else amount
    if wanted <= 0 or wanted > left:
        raise RefundExceedsCaptured(
            details={"requested": wanted, "refundable": left, "currency": payment.currency}
        )
    refund = Refund(
        payment_id=payment.id,
        amount=wanted,
        currency=payment.currency,
        destination="provider",
        status="pending",
        reason=(reason or "requested_by_merchant")[:200],
        tenant_id=tenant_id,
        mode=mode,
    )
    session.add(refund)
    await session.flush()
    await _book(session, payment, refund, reverse=False)
    payment.amount_refunded += wanted
    await enqueue(
        session,
        "payments.merchant_refund",
        {"refund_id": refund.id, "poll": 0},
        dedupe_key=f"merchant_refund:{refund.id}:0",
    )
    await audit.record(
        session,
        actor_id=actor.rpartition(":")[2],  # the API key's id (``api_key:key_…``)
        action="payments.refund_created",
        target_type="tenant",
        target_id=tenant_id,
        ip=ip,
        details={"refund_id": refund.id, "payment_id": payment.id, "mode": mode,
                 "amount": wanted, "currency": payment.currency},
    )  # fmt: skip
    log.info("merchant_refund_requested", refund_id=refund.id, payment_id=payment.id, by=actor)
    return refund


async def _book(session: AsyncSession, payment: Payment, refund: Refund, *, reverse: bool) -> None:
    """``merchant balance → provider clearing`` (or back, ``reverse``), id from the refund."""
    assert payment.tenant_id is not None and payment.mode is not None
    book = orchestration.provider_book(payment)
    clearing = await chart.ensure_provider_clearing(session, book, payment.currency)
    merchant = await chart.ensure_merchant_balance(
        session, payment.tenant_id, payment.mode, payment.currency
    )
    debit, credit = (clearing, merchant) if reverse else (merchant, clearing)
    await create_transfers(
        session,
        [
            TransferSpec(
                id=f"trf_{refund.id}_{'rev' if reverse else 'out'}",
                debit_account_id=debit.id,
                credit_account_id=credit.id,
                amount=refund.amount,
                currency=refund.currency,
                code="refund.reversed" if reverse else "refund.requested",
                reference=refund.id,
            )
        ],
    )


async def get_refund(session: AsyncSession, tenant_id: str, mode: str, refund_id: str) -> Refund:
    """One of the tenant's refunds in ``mode``; anything else → RefundNotFound (404)."""
    refund = await session.get(Refund, refund_id)
    if refund is None or refund.tenant_id != tenant_id or refund.mode != mode:
        raise RefundNotFound()
    return refund


async def refunds_of(session: AsyncSession, payment: Payment) -> list[Refund]:
    rows = await session.scalars(
        select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.created_at)
    )
    return list(rows)


async def send_refund(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    refund_id: str,
    *,
    poll: int = 0,
    first_try: bool = True,
) -> None:
    """The job's body: ask the provider (idempotently, ``refund_key`` = our refund id), then
    settle from its answer.

    The provider is asked with no transaction open (what it needs is read in a short one
    from ``sessions``); then the payment and the refund are locked — payment first, as every
    path does — and settled on ``session``. A pending answer is kept (with the provider's
    refund id) and polled again by a new job (:func:`poll_delay`), up to :data:`MAX_POLLS`
    times (then webhooks and reconciliation settle it). An unknown outcome is retried with the
    same key (RetryJob). A refusal fails the refund only on the very first request: refused
    later (a poll, or a retry after a lost answer) the provider may hold the refund already,
    so it stays pending for an operator (PermanentJobError), never reversed blindly.
    """
    async with unit_of_work(sessions) as read:
        refund = await read.get(Refund, refund_id)
        if refund is None or refund.status != "pending":
            return
        payment = await read.get(Payment, refund.payment_id)
        assert payment is not None
        config = await orchestration.config_of(read, payment)
        read.expunge_all()
    try:
        answer = await _ask(settings, config, payment, refund)
    except ProviderRejected as exc:
        if refund.provider_refund_id or not first_try:
            raise PermanentJobError(f"refund {refund.id} refused after it was sent: {exc}") from exc
        answer = ProviderRefund(
            "", RefundStatus.FAILED, refund.amount, refund.currency, exc.message
        )
    except (ProviderUnavailable, ProviderTimeout) as exc:
        raise RetryJob(POLL, f"provider: {exc.code}") from exc
    locked_payment = await session.get(
        Payment, payment.id, with_for_update=True, populate_existing=True
    )
    locked = await session.get(Refund, refund.id, with_for_update=True, populate_existing=True)
    assert locked_payment is not None and locked is not None
    await settle_refund(session, locked_payment, locked, answer)
    if locked.status == "pending" and poll < MAX_POLLS:
        await enqueue(
            session,
            "payments.merchant_refund",
            {"refund_id": locked.id, "poll": poll + 1},
            run_at=utcnow() + poll_delay(settings, poll),
            dedupe_key=f"merchant_refund:{locked.id}:{poll + 1}",
        )


async def _ask(
    settings: Settings, config: ProviderConfig, payment: Payment, refund: Refund
) -> ProviderRefund:
    provider = orchestration.adapter(settings, config)
    async with provider:
        if refund.provider_refund_id:
            return await provider.get_refund(refund.provider_refund_id)
        return await provider.refund(
            payment.reference,
            payment.provider_transaction_id,
            refund.amount,
            refund.currency,
            refund.id,
        )


def poll_delay(settings: Settings, poll: int) -> timedelta:
    """Wait before poll ``poll + 1``: 2 s, doubling, at most ``KRO_GATEWAY_REFUND_POLL`` s —
    refunds that settle in seconds are seen in seconds, slow ones are not hammered."""
    return timedelta(seconds=min(settings.gateway_refund_poll, 2.0 * 2**poll))


async def settle_refund(
    session: AsyncSession, payment: Payment, refund: Refund, answer: ProviderRefund
) -> None:
    """Apply the provider's view of ``refund``: succeeded → processed (the payment becomes
    partially_refunded or refunded); failed → failed and the booking reversed. Idempotent."""
    if answer.provider_refund_id and not refund.provider_refund_id:
        refund.provider_refund_id = answer.provider_refund_id[:64]
    if refund.status != "pending" or answer.status is RefundStatus.PENDING:
        await session.flush()
        return
    refund.processed_at = utcnow()
    if answer.status is RefundStatus.SUCCEEDED:
        refund.status = "processed"
        await session.flush()  # the sessions do not autoflush: the total must count it
        done = await _processed_total(session, payment)
        action = "refund_all" if done >= payment.amount_captured else "refund_part"
        await orchestration.transition(session, payment, action, f"refund {refund.id}", "system")
        await _emit(session, payment, refund, "refund.completed")
        if payment.status == states.REFUNDED:
            await orchestration.emit_payment(session, payment, "payment.refunded")
    else:
        refund.status = "failed"
        refund.failure_reason = (answer.failure_reason or "refused by the provider")[:200]
        payment.amount_refunded -= refund.amount
        await _book(session, payment, refund, reverse=True)
        await _emit(session, payment, refund, "refund.failed")
    await session.flush()


async def _processed_total(session: AsyncSession, payment: Payment) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment.id, Refund.status == "processed"
        )
    )
    return int(total or 0)


async def _emit(session: AsyncSession, payment: Payment, refund: Refund, event_type: str) -> None:
    assert payment.tenant_id is not None and payment.mode is not None
    await webhooks.emit(
        session,
        tenant_id=payment.tenant_id,
        mode=payment.mode,
        type=event_type,
        data=RefundOut.of(refund).model_dump(mode="json"),
    )
