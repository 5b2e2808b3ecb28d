"""The bank-transfer method's own rules: settlements of transfers into a dynamic account.

A product opens one through :func:`kro.payments.collect.collect` (``method="bank_transfer"``):
the Providus adapter (:class:`kro.providers.providus.gateway.ProvidusGateway`) gives a
one-time account number, and the payer sends money to it from any Nigerian bank, in whatever
amount they choose — possibly more than once. Providus settles each transfer and POSTs a
settlement notification to ``/v1/webhooks/providus``; :func:`receive_providus_notification`
checks its static ``X-Auth-Signature``, stores it in the inbox (unique on ``settlementId``) and
answers with Providus's codes (``00`` accepted, ``01`` duplicate, ``02`` rejected, ``03`` system
failure). The job ``payments.confirm_bank_transfer`` (:func:`confirm_bank_transfer`) then asks
the adapter (``PiPverifyTransaction``) — the notification's signature is not bound to its body,
so nothing is believed before Providus confirms it (verify before value) — and posts what
*Providus* reports, each settlement once:

======================  ==========================================  ===========================
received vs expected    ledger (one atomic batch)                   payment
======================  ==========================================  ===========================
equal                   clearing → credit account (expected)        ``completed``; job
                                                                    ``{purpose}.payment_completed``
more                    clearing → credit account (expected),       ``completed``; same job
                        clearing → payer's wallet (the excess)
less                    clearing → payer's wallet (all of it)       ``underpaid`` (visible), no job
after the payment was   clearing → payer's wallet (all of it)       unchanged
settled (a late one)
======================  ==========================================  ===========================

Each batch also books Providus's fee and VAT: provider fees → clearing. Amounts are kobo.
Ledger ids derive from the payment (the collection) and the inbox event (the rest), so a
re-run posts nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs.errors import RetryJob
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.ledger import chart
from kro.ledger.service import create_transfers
from kro.ledger.specs import TransferSpec
from kro.payments import charges, states
from kro.payments.inbox.service import finish_event, store_in_inbox
from kro.payments.models import Payment, WebhookEvent
from kro.providers.base import ProviderCharge
from kro.providers.errors import ProviderRejected
from kro.providers.providus import (
    TRANSACTION_NOT_FOUND,
    InvalidNotification,
    Settlement,
    parse_notification,
    session_id_of,
    verify_signature,
)
from kro.settings import Settings

log = structlog.get_logger("kro.payments.bank_transfer.service")
PROVIDUS = "providus"
EVENT_TYPE = "settlement"
CONFIRM_JOB = "payments.confirm_bank_transfer"
# A notification whose settlement Providus does not know yet is asked about again this many
# times, a minute apart, before it is ignored (a forgery stays unknown for ever).
UNKNOWN_SETTLEMENT_ATTEMPTS = 3
UNKNOWN_SETTLEMENT_DELAY = timedelta(minutes=1)


# Receiving notifications ----------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationReply:
    """What we answer Providus (always HTTP 200): ``00`` accepted, ``01`` duplicate (this
    ``settlementId`` was already received), ``02`` rejected (bad signature, unreadable body or
    an account that is not ours), ``03`` system failure (Providus retries)."""

    response_code: str
    response_message: str
    session_id: str | None
    event_id: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "requestSuccessful": True,
            "sessionId": self.session_id,
            "responseMessage": self.response_message,
            "responseCode": self.response_code,
        }


def rejected(raw_body: bytes, why: str) -> NotificationReply:
    log.warning("providus_notification_rejected", reason=why)
    return NotificationReply("02", "rejected transaction", session_id_of(raw_body))


def system_failure(raw_body: bytes) -> NotificationReply:
    return NotificationReply("03", "system failure, retry", session_id_of(raw_body))


async def receive_providus_notification(
    session: AsyncSession, headers: Mapping[str, str], raw_body: bytes, settings: Settings
) -> NotificationReply:
    """Check ``Client-Id`` / ``X-Auth-Signature``, store the notification in the inbox
    (provider ``providus``, key ``settlementId``) and queue :data:`CONFIRM_JOB`.

    Nothing is written for a ``02`` reply; a duplicate only bumps ``deliveries``. Only flushes.
    """
    if not verify_signature(headers, settings.providus_client_id, settings.providus_client_secret):
        return rejected(raw_body, "bad signature")
    try:
        notification = parse_notification(raw_body)
        raw_body.decode("utf-8")  # stored as text in the inbox
    except (InvalidNotification, UnicodeDecodeError):
        return rejected(raw_body, "not a settlement notification")
    payment = await _payment_for_account(session, notification.account_number)
    if payment is None:
        return rejected(raw_body, f"unknown account {notification.account_number}")
    row, is_new = await store_in_inbox(
        session,
        PROVIDUS,
        notification.settlement_id,
        EVENT_TYPE,
        raw_body,
        CONFIRM_JOB,
        extra={"payment_id": payment.id, "session_id": notification.session_id},
    )
    if not is_new:
        return NotificationReply("01", "duplicate transaction", notification.session_id, row.id)
    return NotificationReply("00", "success", notification.session_id, row.id)


async def _payment_for_account(
    session: AsyncSession, account_number: str, *, lock: bool = False
) -> Payment | None:
    stmt = select(Payment).where(
        Payment.provider == PROVIDUS, Payment.virtual_account_number == account_number
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


# Confirming and posting -----------------------------------------------------------------------


async def confirm_bank_transfer(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    event_id: str,
    *,
    retry_unknown: bool,
) -> Payment | None:
    """Process a settlement notification from the inbox: verify it through the payment's
    adapter, then post what Providus reports (see the module's table). Returns the payment
    when money moved, else ``None`` (the event says why).

    The event and its payment are read in a short transaction and Providus is asked with no
    transaction open; only then are the payment and the event locked (and re-checked) on
    ``session``. A settlement Providus does not know raises RetryJob while ``retry_unknown``,
    then is ignored. Raises a ProviderError when Providus cannot be reached (the job retries).
    """
    async with unit_of_work(sessions) as read:
        event = await read.get(WebhookEvent, event_id)
        if event is None or event.status != "received":
            return None
        notification = parse_notification(event.payload.encode())
        found = await _payment_for_account(read, notification.account_number)
        config = await charges.config_of(read, found) if found is not None else None
        read.expunge_all()
    if found is None or config is None:
        await _finish(session, event_id, "ignored", f"no payment for account "
                      f"{notification.account_number}")  # fmt: skip
        return None
    try:
        async with charges.adapter(settings, config) as provider:
            verified = await provider.get_charge(found.reference, notification.settlement_id)
    except ProviderRejected as exc:
        if exc.provider_code != TRANSACTION_NOT_FOUND:
            raise
        if retry_unknown:
            raise RetryJob(UNKNOWN_SETTLEMENT_DELAY, "settlement unknown to Providus") from None
        await _finish(session, event_id, "ignored", "Providus does not know this settlement")
        return None
    payment = await session.get(Payment, found.id, with_for_update=True, populate_existing=True)
    locked = await session.get(WebhookEvent, event_id, with_for_update=True, populate_existing=True)
    if payment is None or locked is None or locked.status != "received":
        return None
    problem = _disagreement(verified, notification, payment)
    if problem is not None:
        finish_event(locked, "ignored", problem)
        return None
    outcome = await post_settlement(session, payment, event_id, verified)
    finish_event(locked, "processed", f"payment {payment.id}: {outcome}")
    return payment


async def _finish(session: AsyncSession, event_id: str, status: str, outcome: str) -> None:
    event = await session.get(WebhookEvent, event_id, with_for_update=True, populate_existing=True)
    if event is not None and event.status == "received":
        finish_event(event, status, outcome)


def _disagreement(verified: ProviderCharge, notified: Settlement, payment: Payment) -> str | None:
    """Why the verified settlement cannot be credited to ``payment``, if it cannot."""
    if verified.provider_id != notified.settlement_id:
        return "verify returned another settlement"
    account = (verified.bank_account or {}).get("account_number")
    if account != payment.virtual_account_number:
        return f"verified account {account} is not the payment's"
    if verified.currency != payment.currency:
        return f"verified currency {verified.currency}, expected {payment.currency}"
    if verified.amount <= 0:
        return "verified amount is not positive"
    return None


async def post_settlement(
    session: AsyncSession, payment: Payment, event_id: str, verified: ProviderCharge
) -> str:
    """Post a verified settlement (``verified.amount`` kobo received, ``verified.fee`` kept by
    Providus) to the ledger and move ``payment`` on; returns what happened (``completed``,
    ``overpaid``, ``underpaid`` or ``late``). Idempotent per ``event_id``."""
    received, currency = verified.amount, payment.currency
    clearing = await chart.ensure_provider_clearing(session, PROVIDUS, currency)
    transfers: list[TransferSpec] = []
    to_wallet = received
    if payment.status in states.OPEN and received >= payment.amount:
        transfers.append(
            _spec(f"trf_{payment.id}_in", clearing.id, payment.credit_account_id, payment.amount,
                  currency, "payment.collected", payment.reference)
        )  # fmt: skip
        to_wallet = received - payment.amount
    outcome = _outcome(payment, received)
    if to_wallet > 0:
        assert payment.payer_id is not None  # collect requires one for bank transfers
        wallet = await chart.ensure_wallet(session, payment.payer_id, currency)
        transfers.append(
            _spec(f"trf_{event_id}_wallet", clearing.id, wallet.id, to_wallet, currency,
                  f"payment.{outcome}", payment.reference)
        )  # fmt: skip
    if verified.fee > 0:
        fees = await chart.ensure_provider_fees(session, PROVIDUS, currency)
        transfers.append(
            _spec(f"trf_{event_id}_fee", fees.id, clearing.id, verified.fee, currency,
                  "payment.provider_fee", payment.reference)
        )  # fmt: skip
    await create_transfers(session, transfers)
    await _settle_payment(session, payment, verified, outcome)
    log.info("bank_transfer_posted", payment_id=payment.id, outcome=outcome, received=received)
    return outcome


def _outcome(payment: Payment, received: int) -> str:
    if payment.status not in states.OPEN:
        return "late"
    if received < payment.amount:
        return "underpaid"
    return "overpaid" if received > payment.amount else "completed"


def _spec(
    id_: str, debit: str, credit: str, amount: int, currency: str, code: str, reference: str
) -> TransferSpec:
    return TransferSpec(
        id=id_,
        debit_account_id=debit,
        credit_account_id=credit,
        amount=amount,
        currency=currency,
        code=code,
        reference=reference,
    )


async def _settle_payment(
    session: AsyncSession, payment: Payment, verified: ProviderCharge, outcome: str
) -> None:
    payment.amount_received = (payment.amount_received or 0) + verified.amount
    payment.provider_fee += verified.fee
    if outcome == "late":
        await session.flush()
        return
    payment.provider_transaction_id = verified.provider_id
    payment.paid_at = verified.paid_at or utcnow()
    payment.next_action = None
    actor = f"provider:{PROVIDUS}"
    if outcome == "underpaid":
        payment.failure_reason = (
            f"received {verified.amount} of {payment.amount} {payment.currency}; "
            "credited to the payer's wallet"
        )
        await charges.transition(session, payment, "underpay", payment.failure_reason, actor)
        return
    payment.amount_captured = payment.amount
    await charges.transition(session, payment, "succeed", f"settlement {outcome}", actor)
    await charges.emit_payment(session, payment, "payment.completed")
