"""Payment use cases shared by every flow: the inbox (store a verified event once), reading
a product's payments, and paying from a wallet. Collecting through a provider is
:mod:`kro.payments.collect.service`; settling from the provider's answer is
:mod:`kro.payments.charges`.

Rules (DESIGN.md section 5): a webhook is a hint — value moves only after the provider's
verify endpoint says ``success`` with the expected amount and currency (Paystack: "verify
the transaction before giving value"). Duplicates change nothing: the inbox is unique on
``(provider, event_key)`` and a completed payment is never completed twice.
"""

from __future__ import annotations

import hashlib
from typing import Any

import structlog
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.db import insert_new
from kro.kit.ids import new_id
from kro.payments import states
from kro.payments.errors import InvalidWebhookSignature, WebhookEventNotFound
from kro.payments.models import Payment, WebhookEvent
from kro.providers.errors import PaystackWebhookInvalid as InvalidWebhookPayload
from kro.providers.paystack.webhooks import event_key, parse_event, verify_signature

log = structlog.get_logger("kro.payments")
PAYSTACK = "paystack"

MAX_EVENT_KEY = 200  # webhook_events.event_key

# Which job handles a platform-signed Paystack event that names no payment of the payments
# pipeline (by prefix); the payload is ``{"event_id": …}``. Charges are settled through
# ``kro.payments.inbox.events``, refunds too (an event naming no payment of ours is stored,
# ignored).
EVENT_ROUTES: dict[str, str] = {
    "transfer.": "payouts.settle_transfer",
    "subscription.": "payments.subscription_event",
}
RENEWAL_JOB = "payments.subscription_event"
"""A ``charge.success`` carrying a plan and a reference not ours: a subscription's renewal."""


async def receive_paystack_webhook(
    session: AsyncSession, raw_body: bytes, signature: str | None, secret_key: str
) -> tuple[WebhookEvent, bool]:
    """Verify ``x-paystack-signature`` on the raw body, store the event in the inbox and queue
    its processing. Returns ``(event, is_new)``; a duplicate only bumps ``deliveries``.

    Raises InvalidWebhookSignature (401) on a forged or missing signature, and
    InvalidWebhookPayload (400) on a body that is not a Paystack event; nothing is stored then.
    """
    if not verify_signature(raw_body, signature, secret_key):
        raise InvalidWebhookSignature()
    event = parse_event(raw_body)
    key = event_key(event)
    job = next(
        (name for prefix, name in EVENT_ROUTES.items() if event.event.startswith(prefix)), None
    )
    why = "event not handled"
    plan = event.data.get("plan")
    if event.event == "charge.success" and isinstance(plan, dict) and plan.get("plan_code"):
        job = RENEWAL_JOB
    elif event.event.startswith("charge."):
        why = f"unknown reference {event.data.get('reference')!r}"[:200]
    return await store_in_inbox(
        session, PAYSTACK, key, event.event, raw_body, job, ignored_because=why
    )


async def store_in_inbox(
    session: AsyncSession,
    provider: str,
    key: str,
    event_type: str,
    raw_body: bytes,
    job: str | None,
    job_payload: dict[str, Any] | None = None,
    *,
    payment: Payment | None = None,
    ignored_because: str = "event not handled",
    extra: dict[str, Any] | None = None,
) -> tuple[WebhookEvent, bool]:
    """Store a verified event once per ``(provider, key)`` and queue ``job`` with
    ``{"event_id", **job_payload}`` (None: stored as ``ignored``); ``extra``: what the
    door learnt that the job needs (kept on the row). Returns ``(event, is_new)``;
    a duplicate only bumps ``deliveries`` — unless it names ``payment`` and that payment is
    still open while the first delivery was already processed (the provider had not yet
    confirmed then): the event is queued again, so an early delivery never blocks the one
    that counts. Raises InvalidWebhookPayload (400) on a body that is not UTF-8."""
    try:
        payload = raw_body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidWebhookPayload() from None
    if len(key) > MAX_EVENT_KEY:  # keep the unique key within its column, still stable
        key = f"{event_type[:64]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    now = utcnow()
    values: dict[str, Any] = {
        "id": new_id("evt"),
        "provider": provider,
        "event_key": key,
        "event_type": event_type[:64],
        "payload": payload,
        "status": "received" if job is not None else "ignored",
        "outcome": None if job is not None else ignored_because[:200],
        "deliveries": 1,
        "received_at": now,
        "processed_at": None if job is not None else now,
        "extra": extra,
    }
    # One statement: stored, or met the row of an earlier (or concurrent) delivery.
    row = await insert_new(session, WebhookEvent, values, unique=("provider", "event_key"))
    if row is None:
        existing = await _inbox_row(session, provider, key)
        assert existing is not None  # the insert met it
        await session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == existing.id)
            .values(deliveries=WebhookEvent.deliveries + 1)
        )
        if job is not None and payment is not None and existing.status != "received":
            await _reopen_if_unsettled(session, existing, payment, job, job_payload)
        return existing, False
    if job is not None:
        payload_ = {"event_id": row.id, **(job_payload or {})}
        await enqueue(session, job, payload_, dedupe_key=f"webhook:{row.id}")
    return row, True


async def _reopen_if_unsettled(
    session: AsyncSession,
    event: WebhookEvent,
    payment: Payment,
    job: str,
    job_payload: dict[str, Any] | None,
) -> None:
    """Queue ``event`` again when its payment is still open: whatever the first processing
    found, this delivery may be the one the provider now confirms (verify before value makes
    a second processing safe; it changes nothing if the provider still says no)."""
    if payment.status not in states.OPEN:
        return
    await session.refresh(event)
    deliveries = event.deliveries
    event.status, event.outcome, event.processed_at = "received", "delivered again", None
    await session.flush()
    await enqueue(
        session,
        job,
        {"event_id": event.id, **(job_payload or {})},
        dedupe_key=f"webhook:{event.id}:{deliveries}",
    )
    log.info("webhook_event_reopened", event_id=event.id, payment_id=payment.id)


async def _inbox_row(session: AsyncSession, provider: str, key: str) -> WebhookEvent | None:
    result = await session.execute(_INBOX_ROW, {"provider": provider, "key": key})
    return result.scalar_one_or_none()


_INBOX_ROW = select(WebhookEvent).where(  # built once: every delivery looks its row up
    WebhookEvent.provider == bindparam("provider"), WebhookEvent.event_key == bindparam("key")
)


async def received_event(
    session: AsyncSession, event_id: str, *, lock: bool = False
) -> WebhookEvent | None:
    """The inbox row ``event_id`` if it is still waiting to be processed (``received``), for
    a job of another module that handles it (payouts' ``transfer.*``); ``lock``: ``SELECT …
    FOR UPDATE`` and re-read. None otherwise."""
    event = await session.get(
        WebhookEvent, event_id, with_for_update=lock or None, populate_existing=lock
    )
    return event if event is not None and event.status == "received" else None


def finish_event(event: WebhookEvent, status: str, outcome: str) -> None:
    """Record what processing an inbox event did (``processed`` or ``ignored`` and why)."""
    event.status, event.outcome, event.processed_at = status, outcome[:200], utcnow()
    log.info("webhook_event_finished", event_id=event.id, status=status, outcome=outcome)


async def search_events(
    session: AsyncSession,
    *,
    provider: str | None = None,
    event_type: str | None = None,
    status: str | None = None,
    q: str | None = None,
    limit: int = 50,
    before: str | None = None,
) -> list[WebhookEvent]:
    """Incoming webhooks, newest first, by provider, type, status or text in the key;
    ``before`` is an event id cursor. The admin API and the admin console both call this."""
    stmt = select(WebhookEvent).order_by(WebhookEvent.id.desc()).limit(limit)
    if provider:
        stmt = stmt.where(WebhookEvent.provider == provider)
    if event_type:
        stmt = stmt.where(WebhookEvent.event_type == event_type)
    if status:
        stmt = stmt.where(WebhookEvent.status == status)
    if q:
        stmt = stmt.where(WebhookEvent.event_key.contains(q))
    if before:
        stmt = stmt.where(WebhookEvent.id < before)
    return list((await session.execute(stmt)).scalars())


async def get_event(session: AsyncSession, event_id: str) -> WebhookEvent:
    """One received webhook with its raw payload; WebhookEventNotFound (404)."""
    row = await session.get(WebhookEvent, event_id)
    if row is None:
        raise WebhookEventNotFound()
    return row
