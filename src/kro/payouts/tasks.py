"""Payout job handlers: recipient, transfer, verification of an unknown outcome, settlement
from the inbox.

None of them calls Paystack with a transaction open or a row locked: each reads in a short
transaction (``ctx.sessions``), asks Paystack, then locks and writes on ``ctx.session``,
re-checking the payout's status (:mod:`kro.payouts.transfers`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kro.jobs.errors import RetryJob
from kro.jobs.registry import JobContext, job_handler
from kro.jobs.scheduler import periodic
from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.payments import gateway
from kro.payments.inbox import service as inbox
from kro.payments.inbox.service import finish_event
from kro.payments.models import WebhookEvent
from kro.payouts import service, settlement, transfers
from kro.payouts.models import Payout
from kro.providers.errors import ProviderTimeout, ProviderUnavailable
from kro.providers.paystack.webhooks import parse_event

RETRY = timedelta(seconds=30)


@job_handler("payouts.create_recipient")
async def create_recipient(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Ensure the Paystack recipient, then queue the transfer."""
    async with gateway.paystack(ctx.settings) as client:
        await transfers.create_recipient(ctx.session, ctx.sessions, client, payload["payout_id"])


@job_handler("payouts.initiate_transfer")
async def initiate_transfer(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send the transfer; safe to retry (verify first, same reference). Paystack unreachable
    before it accepted anything: tried again in 30 s, still ``pending``."""
    try:
        async with gateway.paystack(ctx.settings) as client:
            await transfers.send_transfer(ctx.session, ctx.sessions, client, payload["payout_id"])
    except (ProviderUnavailable, ProviderTimeout) as exc:
        raise RetryJob(RETRY, f"paystack: {exc.code}") from exc


@job_handler("payouts.verify_transfer")
async def verify_transfer(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Ask Paystack about a ``processing`` payout whose outcome was unknown."""
    try:
        async with gateway.paystack(ctx.settings) as client:
            await transfers.verify_transfer(
                ctx.session, ctx.sessions, client, payload["payout_id"], int(payload["poll"])
            )
    except (ProviderUnavailable, ProviderTimeout) as exc:
        raise RetryJob(RETRY, f"paystack: {exc.code}") from exc


@job_handler("payouts.settle_transfer")
async def settle_transfer(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A ``transfer.*`` event from the inbox: read it, verify with Paystack (no transaction
    open), then lock the payout and the event and settle (verify before value). Idempotent:
    the event is processed once, and a settled payout ignores a duplicate answer."""
    event_id = str(payload["event_id"])
    async with unit_of_work(ctx.sessions) as read:
        event = await inbox.received_event(read, event_id)
        if event is None:
            return
        reference = str(parse_event(event.payload.encode()).data.get("reference") or "")
        known = await service.payout_by_reference(read, reference)
        payout_id = known.id if known is not None else None
    if payout_id is None:
        if (unknown := await _received(ctx, event_id)) is not None:
            finish_event(unknown, "ignored", f"unknown transfer reference {reference!r}")
        return
    async with gateway.paystack(ctx.settings) as client:
        verified = await client.verify_transfer(reference)
    if not verified.is_final:  # the event ran ahead of Paystack's own record: ask again
        raise RetryJob(RETRY, f"transfer still {verified.status}")
    payout = await ctx.session.get(Payout, payout_id, with_for_update=True, populate_existing=True)
    locked = await _received(ctx, event_id)
    if payout is None or locked is None:  # another run processed the event meanwhile
        return
    outcome = await settlement.settle_payout(ctx.session, payout, verified)
    finish_event(locked, "processed", f"payout {payout.id}: {outcome}")


@periodic("payouts.reconcile_processing", every=timedelta(minutes=15), max_attempts=3)
async def reconcile_processing(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The sweep: a payout ``processing`` with no news for a while is verified with Paystack
    (its webhook may be lost), once per payout and tick."""
    for payout_id in await transfers.stale_processing(ctx.session, utcnow()):
        await enqueue(
            ctx.session,
            "payouts.verify_transfer",
            {"payout_id": payout_id, "poll": 1},
            dedupe_key=f"payout-sweep:{payout_id}:{payload['slot']}",
        )


async def _received(ctx: JobContext, event_id: str) -> WebhookEvent | None:
    """The inbox row, locked, if it is still waiting to be processed."""
    return await inbox.received_event(ctx.session, event_id, lock=True)
