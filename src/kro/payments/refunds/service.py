"""Refunds — one module for every provider and every purpose: a merchant's refund through the
API (seed 003 §4.2) and a product's (an escrow order cancelled or split).

**Requesting** (:func:`request_refund`) checks the payment is ``completed`` or
``partially_refunded`` and that the amount fits in what was captured minus what was already
asked back (never more than collected; 409 otherwise), and books the ledger at once, in the
requester's transaction — the money is no longer the merchant's or the product's::

    debit  the refunded account        amount → credit provider clearing   (through the provider)
                                                 or the payer's wallet       (to the wallet)

The refunded account is the merchant balance for a merchant's payment, the account the product
names (the order's escrow account…) for a product's. A product's payment goes back to the
payer's wallet where its provider gives no refund (a wallet payment, a Providus bank transfer,
Fincra): ``processed`` at once. A product's payment through Remita, which offers no refund API
(its refunds are manual; its payers are employers, not wallet holders), is refunded **by
hand**: booked as above, it waits ``pending`` (destination ``manual``) until an operator has
paid the payer by bank transfer and records it with a fresh TOTP code
(:func:`record_manual_refund`: ``processed`` with the bank's reference, or ``failed`` and the
booking reversed).

**Sending** is the job ``payments.send_refund`` (through the outbox), which asks the payment's
provider adapter with our refund id as its idempotency reference and no transaction open; the
provider's answer (that job, its polls, a ``refund.*`` webhook through the inbox, or
reconciliation) settles it (:func:`settle_refund`): ``processed`` — the payment moves
``completed → partially_refunded | refunded`` (:mod:`kro.payments.states`) and its owner hears
(``refund.completed``/``payment.refunded`` webhooks, or ``{purpose}.payment_refunded``) — or
``failed``, and the booking is reversed. Services only flush.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.audit import service as audit
from kro.identity import admin
from kro.identity.models import User
from kro.jobs.errors import PermanentJobError, RetryJob
from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.ledger import chart
from kro.ledger.service import create_transfers, get_transfer
from kro.ledger.specs import TransferSpec
from kro.payments import charges, states
from kro.payments.errors import (
    NotRefundable,
    RefundExceedsCaptured,
    RefundNotFound,
    RefundNotManual,
)
from kro.payments.merchant import service as merchant
from kro.payments.models import Payment, ProviderConfig, Refund
from kro.payments.schemas import RefundOut
from kro.providers.base import ProviderRefund, RefundStatus
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.settings import Settings
from kro.webhooks import service as webhooks

log = structlog.get_logger("kro.payments.refunds.service")
JOB = "payments.send_refund"
WALLET = "wallet"
WALLET_REFUNDED = frozenset({WALLET, "providus", "fincra"})
"""A product's payments through these go back to the payer's wallet (no refund API)."""
MANUAL = "manual"
MANUAL_REFUNDED = frozenset({"remita"})
"""A product's payments through these are refunded by an operator's bank transfer (no refund
API: Remita's refunds are manual, support.remita.net)."""
POLL = timedelta(seconds=30)
MAX_POLLS = 120


async def request_refund(
    session: AsyncSession,
    payment: Payment,
    amount: int | None,
    reason: str | None,
    *,
    from_account_id: str | None = None,
    refund_id: str | None = None,
    actor: str = "system",
    ip: str | None = None,
) -> Refund:
    """Refund ``amount`` minor units (None: all that is left) of ``payment`` — locked by the
    caller (``SELECT … FOR UPDATE``), so concurrent refunds of one payment are serialised.

    ``from_account_id``: the ledger account the money leaves (a product's; a merchant's
    payment refunds from its merchant balance unless one is named — a payment refunded from
    review leaves its review account, :mod:`kro.payments.review`). ``refund_id``: a chosen id
    (a product refunding once per order). ``actor``/``ip``: recorded in a merchant's audit log.

    Raises NotRefundable (409), RefundExceedsCaptured (409), InsufficientFunds (409: the
    account cannot cover it). Nothing is written then.
    """
    unparked = payment.status == states.NEEDS_REVIEW and not payment.amount_captured
    if payment.status not in states.REFUNDABLE or unparked:
        raise NotRefundable(details={"status": payment.status})
    left = payment.amount_captured - payment.amount_refunded
    wanted = left if amount is None else amount
    if wanted <= 0 or wanted > left:
        raise RefundExceedsCaptured(
            details={"requested": wanted, "refundable": left, "currency": payment.currency}
        )
    product = payment.tenant_id is None
    to_wallet = product and payment.provider in WALLET_REFUNDED
    by_hand = product and payment.provider in MANUAL_REFUNDED
    refund = Refund(
        payment_id=payment.id,
        amount=wanted,
        currency=payment.currency,
        destination=WALLET if to_wallet else MANUAL if by_hand else "provider",
        status="pending",
        reason=(reason or "requested_by_merchant")[:200],
        tenant_id=payment.tenant_id,
        mode=payment.mode,
    )
    if refund_id:
        refund.id = refund_id
    session.add(refund)
    await session.flush()
    await _book(session, payment, refund, from_account_id)
    payment.amount_refunded += wanted
    if to_wallet:
        await settle_refund(session, payment, refund, _wallet_answer(refund))
    elif by_hand:
        log.warning("refund_waits_for_an_operator", refund_id=refund.id, payment_id=payment.id)
    else:
        await enqueue(session, JOB, {"refund_id": refund.id, "poll": 0},
                      dedupe_key=f"refund:{refund.id}:0")  # fmt: skip
    if payment.tenant_id is not None:
        await _audit(session, payment, refund, actor, ip)
    log.info("refund_requested", refund_id=refund.id, payment_id=payment.id, by=actor)
    return refund


def _wallet_answer(refund: Refund) -> ProviderRefund:
    return ProviderRefund(f"wallet:{refund.id}", RefundStatus.SUCCEEDED, refund.amount,
                          refund.currency)  # fmt: skip


async def _book(
    session: AsyncSession, payment: Payment, refund: Refund, from_account_id: str | None
) -> None:
    """``refunded account → provider clearing | payer's wallet``, id from the refund."""
    currency = payment.currency
    if payment.tenant_id is not None and from_account_id is None:
        assert payment.mode is not None
        merchant = await chart.ensure_merchant_balance(
            session, payment.tenant_id, payment.mode, currency
        )
        from_account_id = merchant.id
    if from_account_id is None:
        raise ValueError("a product's refund names the account it leaves")
    if refund.destination == WALLET:
        assert payment.payer_id is not None
        target = await chart.ensure_wallet(session, payment.payer_id, currency)
    else:
        book = charges.provider_book(payment)
        target = await chart.ensure_provider_clearing(session, book, currency)
    await create_transfers(
        session,
        [TransferSpec(f"trf_{refund.id}_out", from_account_id, target.id, refund.amount,
                      currency, "refund.requested", refund.id)],
    )  # fmt: skip


async def _reverse(session: AsyncSession, refund: Refund) -> None:
    """Undo the booking of a failed refund: the same amount back, id from the refund."""
    booked = await get_transfer(session, f"trf_{refund.id}_out")
    if booked is None:
        return
    await create_transfers(
        session,
        [TransferSpec(f"trf_{refund.id}_rev", booked.credit_account_id, booked.debit_account_id,
                      booked.amount, booked.currency, "refund.reversed", refund.id)],
    )  # fmt: skip


async def _audit(
    session: AsyncSession, payment: Payment, refund: Refund, actor: str, ip: str | None
) -> None:
    assert payment.tenant_id is not None
    await audit.record(
        session,
        actor_id=actor.rpartition(":")[2],  # the API key's id (``api_key:key_…``)
        action="payments.refund_created",
        target_type="tenant",
        target_id=payment.tenant_id,
        ip=ip,
        details={"refund_id": refund.id, "payment_id": payment.id, "mode": payment.mode,
                 "amount": refund.amount, "currency": payment.currency},
    )  # fmt: skip


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
    """A merchant's ``POST /v1/payments/{id}/refunds``: :func:`request_refund` of one of the
    tenant's payments in ``mode``, locked. Raises PaymentNotFound (404) and as
    :func:`request_refund`."""
    payment = await merchant.get_payment(session, tenant_id, mode, payment_id, for_update=True)
    return await request_refund(session, payment, amount, reason, actor=actor, ip=ip)


async def record_manual_refund(
    session: AsyncSession,
    admin_user: User,
    refund_id: str,
    *,
    paid: bool,
    bank_reference: str | None,
    note: str,
    totp_code: str,
    ip: str | None = None,
) -> Refund:
    """An operator's word on a refund paid by hand (destination ``manual``): ``paid`` — the
    payer received ``refund.amount`` by bank transfer, ``bank_reference`` naming it — settles
    it ``processed`` (the payment becomes partially_refunded or refunded, its owner hears);
    not paid (the transfer could not be made) fails it and reverses the booking. Needs a fresh
    admin TOTP code (DESIGN.md §6: admin actions that move money); leaves an audit-log row
    ``payments.manual_refund_recorded``. The payment is locked before the refund, as on
    every path.

    Raises TotpRequired (403, field ``totp_code``), RefundNotFound (404), RefundNotManual
    (409: not a refund paid by hand, or recorded already), ValueError for ``paid`` without a
    reference (the schema requires one)."""
    if paid and not bank_reference:
        raise ValueError("a paid manual refund names the bank transfer's reference")
    await admin.require_totp(session, admin_user, totp_code, field="totp_code")
    found = await session.get(Refund, refund_id)
    if found is None:
        raise RefundNotFound()
    payment = await session.get(
        Payment, found.payment_id, with_for_update=True, populate_existing=True
    )
    refund = await session.get(Refund, refund_id, with_for_update=True, populate_existing=True)
    assert payment is not None and refund is not None
    if refund.destination != MANUAL or refund.status != "pending":
        raise RefundNotManual(details={"destination": refund.destination, "status": refund.status})
    answer = ProviderRefund(
        f"{MANUAL}:{bank_reference}" if paid else "",
        RefundStatus.SUCCEEDED if paid else RefundStatus.FAILED,
        refund.amount,
        refund.currency,
        None if paid else f"not paid by hand: {note}"[:200],
    )
    await settle_refund(session, payment, refund, answer)
    await audit.record(
        session,
        actor_id=admin_user.id,
        action="payments.manual_refund_recorded",
        target_type="payment",
        target_id=payment.id,
        ip=ip,
        details={"refund_id": refund.id, "paid": paid, "bank_reference": bank_reference,
                 "amount": refund.amount, "currency": refund.currency, "note": note},
    )  # fmt: skip
    return refund


async def waiting_for_an_operator(
    session: AsyncSession, *, limit: int = 100
) -> list[tuple[Refund, Payment]]:
    """Refunds to pay by hand (destination ``manual``, ``pending``) with their payments,
    oldest first."""
    rows = await session.execute(
        select(Refund, Payment)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.destination == MANUAL, Refund.status == "pending")
        .order_by(Refund.created_at, Refund.id)
        .limit(limit)
    )
    return [(refund, payment) for refund, payment in rows]


async def count_waiting_for_an_operator(session: AsyncSession) -> int:
    """How many refunds wait to be paid by hand."""
    stmt = select(func.count()).where(Refund.destination == MANUAL, Refund.status == "pending")
    return int(await session.scalar(stmt) or 0)


# Reading --------------------------------------------------------------------------------------


async def get_refund(session: AsyncSession, tenant_id: str, mode: str, refund_id: str) -> Refund:
    """One of the tenant's refunds in ``mode``; anything else → RefundNotFound (404)."""
    refund = await session.get(Refund, refund_id)
    if refund is None or refund.tenant_id != tenant_id or refund.mode != mode:
        raise RefundNotFound()
    return refund


async def payment_of(session: AsyncSession, refund: Refund) -> Payment:
    """The payment ``refund`` gives money back from."""
    payment = await session.get(Payment, refund.payment_id)
    assert payment is not None  # a refund is only ever written for a payment
    return payment


async def refunds_for(session: AsyncSession, payment_id: str) -> list[Refund]:
    """Every refund of ``payment_id``, oldest first."""
    rows = await session.scalars(
        select(Refund).where(Refund.payment_id == payment_id).order_by(Refund.created_at)
    )
    return list(rows)


# Sending and settling -----------------------------------------------------------------------


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
        config = await charges.config_of(read, payment)
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
            JOB,
            {"refund_id": locked.id, "poll": poll + 1},
            run_at=utcnow() + poll_delay(settings, poll),
            dedupe_key=f"refund:{locked.id}:{poll + 1}",
        )


async def _ask(
    settings: Settings, config: ProviderConfig, payment: Payment, refund: Refund
) -> ProviderRefund:
    provider = charges.adapter(settings, config)
    async with provider:
        if refund.provider_refund_id:
            answer: ProviderRefund = await provider.get_refund(refund.provider_refund_id)
            return answer
        answer = await provider.refund(
            payment.reference,
            payment.provider_transaction_id,
            refund.amount,
            refund.currency,
            refund.id,
        )
        return answer


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
        await charges.transition(session, payment, action, f"refund {refund.id}", "system")
        await _emit(session, payment, refund, "refund.completed")
        if payment.status == states.REFUNDED:
            await charges.emit_payment(session, payment, "payment.refunded")
    else:
        refund.status = "failed"
        refund.failure_reason = (answer.failure_reason or "refused by the provider")[:200]
        payment.amount_refunded -= refund.amount
        await _reverse(session, refund)
        await _emit(session, payment, refund, "refund.failed")
        log.error("refund_failed", refund_id=refund.id, reason=refund.failure_reason)
    await session.flush()


async def _processed_total(session: AsyncSession, payment: Payment) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment.id, Refund.status == "processed"
        )
    )
    return int(total or 0)


async def _emit(session: AsyncSession, payment: Payment, refund: Refund, event_type: str) -> None:
    """A merchant's customer webhook about the refund (a product hears only
    ``{purpose}.payment_refunded``, through :func:`kro.payments.charges.emit_payment`)."""
    if payment.tenant_id is None:
        return
    assert payment.mode is not None
    await webhooks.emit(
        session,
        tenant_id=payment.tenant_id,
        mode=payment.mode,
        type=event_type,
        data=RefundOut.of(refund).model_dump(mode="json"),
    )
