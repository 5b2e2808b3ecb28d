"""Refunds: money given back to a payer, through the provider that took it or to a wallet.

The ledger moves when the refund is requested, in the requester's transaction (the money is
no longer the seller's or the platform's): ``from account → provider clearing`` for a
provider refund, ``from account → payer's wallet`` for a wallet refund. The provider call is a
job (``payments.send_refund``); Paystack confirms with ``refund.processed`` (or
``refund.failed``), handled by ``payments.settle_refund``.
"""

from __future__ import annotations

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.kit.errors import Conflict
from kro.ledger import chart
from kro.ledger.service import create_transfers
from kro.ledger.specs import TransferSpec
from kro.payments import orchestration, states
from kro.payments.models import Payment, Refund, WebhookEvent
from kro.payments.service import finish_event
from kro.providers.base import RefundStatus
from kro.providers.errors import ProviderRejected
from kro.providers.paystack.webhooks import parse_event
from kro.settings import Settings

log = structlog.get_logger("kro.payments.refunds")
WALLET = "wallet"
WALLET_REFUNDED = frozenset({WALLET, "providus", "fincra"})


class RefundExceedsPayment(Conflict):
    code = "refund_exceeds_payment"
    message = "A refund cannot exceed what is left of the payment."


async def refunded_so_far(session: AsyncSession, payment_id: str) -> int:
    """Minor units already refunded (or on their way) for ``payment_id``."""
    rows = await session.execute(
        select(Refund.amount).where(Refund.payment_id == payment_id, Refund.status != "failed")
    )
    return sum(rows.scalars())


async def request_refund(
    session: AsyncSession,
    payment: Payment,
    amount: int,
    reason: str,
    *,
    from_account_id: str,
    refund_id: str | None = None,
) -> Refund:
    """Refund ``amount`` minor units of ``payment`` out of ledger account ``from_account_id``.

    A payment made from a wallet goes back to the payer's wallet at once (``processed``); any
    other goes back through its provider (``pending``; job ``payments.send_refund``). The
    payment moves ``completed → partially_refunded | refunded`` (``kro.payments.states``;
    ``{purpose}.payment_refunded`` when nothing is left).
    Raises RefundExceedsPayment (409). Nothing is sent when ``amount`` is 0.
    """
    if amount <= 0 or amount + await refunded_so_far(session, payment.id) > payment.amount:
        raise RefundExceedsPayment(details={"amount": amount, "paid": payment.amount})
    # Only Paystack refunds go back through the provider here; bank transfers (Providus) have
    # no refund API and Fincra's is not integrated yet: that money goes to the payer's wallet.
    to_wallet = payment.provider in WALLET_REFUNDED
    refund = Refund(
        payment_id=payment.id,
        amount=amount,
        currency=payment.currency,
        destination=WALLET if to_wallet else "provider",
        status="processed" if to_wallet else "pending",
        reason=reason[:200],
        processed_at=utcnow() if to_wallet else None,
    )
    if refund_id:
        refund.id = refund_id
    session.add(refund)
    await session.flush()
    if to_wallet:
        assert payment.payer_id is not None
        target = await chart.ensure_wallet(session, payment.payer_id, payment.currency)
    else:
        target = await chart.ensure_provider_clearing(session, payment.provider, payment.currency)
    await create_transfers(
        session,
        [
            TransferSpec(
                id=f"trf_{refund.id}",
                debit_account_id=from_account_id,
                credit_account_id=target.id,
                amount=amount,
                currency=payment.currency,
                code="payment.refund",
                reference=payment.reference,
            )
        ],
    )
    total = await refunded_so_far(session, payment.id)
    action = "refund_all" if total >= payment.amount else "refund_part"
    await orchestration.transition(session, payment, action, f"refund {refund.id}", "system")
    if payment.status == states.REFUNDED:
        await orchestration.emit_payment(session, payment, "payment.refunded")
    if not to_wallet:
        await enqueue(session, "payments.send_refund", {"refund_id": refund.id})
    await session.flush()
    return refund


async def send_refund(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    refund_id: str,
) -> None:
    """Ask the payment's provider to refund (job ``payments.send_refund``), through its adapter
    in the registry, with our refund id as the provider's idempotency reference.

    What the call needs is read in a short transaction; the provider is asked with no
    transaction open; then the refund is locked and updated on ``session`` (re-checked, so a
    concurrent run changes nothing twice). A refusal fails the refund (the ledger moved at
    request time and is left for an operator, as before); an unknown outcome raises
    ProviderTimeout and the job retries with the same key.
    """
    async with unit_of_work(sessions) as read:
        refund = await read.get(Refund, refund_id)
        if refund is None or refund.status != "pending" or refund.provider_refund_id:
            return
        payment = await read.get(Payment, refund.payment_id)
        assert payment is not None
        config = await orchestration.config_of(read, payment)
        read.expunge_all()
    try:
        async with orchestration.adapter(settings, config) as provider:
            answer = await provider.refund(
                payment.reference,
                payment.provider_transaction_id,
                refund.amount,
                refund.currency,
                refund.id,
            )
    except ProviderRejected as exc:
        answer = None
        log.error("refund_refused", refund_id=refund.id, message=exc.message)
    locked = await session.get(Refund, refund.id, with_for_update=True, populate_existing=True)
    if locked is None or locked.status != "pending" or locked.provider_refund_id:
        return
    if answer is None or answer.status is RefundStatus.FAILED:
        locked.status = "failed"
    elif answer.status is RefundStatus.SUCCEEDED:
        locked.provider_refund_id = answer.provider_refund_id[:64]
        locked.status, locked.processed_at = "processed", utcnow()
    else:
        locked.provider_refund_id = answer.provider_refund_id[:64]
        locked.status = "processing"
    await session.flush()


async def settle_refund_event(session: AsyncSession, event: WebhookEvent) -> None:
    """``refund.processed`` / ``refund.failed`` from the inbox: update the refund's status.
    No value moves here (the ledger moved at request time)."""
    data = parse_event(event.payload.encode()).data
    provider_id = str(data.get("id") or "")
    reference = str(data.get("transaction_reference") or "")
    refund = None
    if provider_id:
        refund = (
            await session.execute(select(Refund).where(Refund.provider_refund_id == provider_id))
        ).scalar_one_or_none()
    if refund is None and reference:
        refund = (
            await session.execute(
                select(Refund)
                .join(Payment, Payment.id == Refund.payment_id)
                .where(Payment.reference == reference, Refund.status == "processing")
                .limit(1)
            )
        ).scalar_one_or_none()
    if refund is None:
        finish_event(event, "ignored", "unknown refund")
        return
    if event.event_type == "refund.processed":
        refund.status, refund.processed_at = "processed", utcnow()
    elif event.event_type == "refund.failed":
        refund.status = "failed"
        log.error("refund_failed_at_provider", refund_id=refund.id)
    finish_event(event, "processed", f"refund {refund.id} {refund.status}")


async def refunds_for(session: AsyncSession, payment_id: str) -> list[Refund]:
    """Every refund of ``payment_id``, oldest first."""
    rows = await session.execute(
        select(Refund).where(Refund.payment_id == payment_id).order_by(Refund.created_at)
    )
    return list(rows.scalars())
