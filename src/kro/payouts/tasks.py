"""Payout job handlers: recipient, transfer, settlement from the inbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kro.jobs.errors import RetryJob
from kro.jobs.registry import JobContext, job_handler
from kro.jobs.service import enqueue
from kro.payments import gateway
from kro.payments.models import WebhookEvent
from kro.payments.service import finish_event
from kro.payouts import service
from kro.payouts.models import Payout
from kro.providers.errors import ProviderRejected
from kro.providers.paystack.webhooks import parse_event


@job_handler("payouts.create_recipient")
async def create_recipient(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Ensure the Paystack recipient (idempotent on Paystack's side), then queue the transfer."""
    payout = await ctx.session.get(Payout, payload["payout_id"])
    if payout is None or payout.status != "pending":
        return
    async with gateway.paystack(ctx.settings) as client:
        try:
            await service.ensure_recipient(ctx.session, client, payout)
        except ProviderRejected as exc:  # Paystack will never accept this account
            await service.fail_payout(ctx.session, payout, exc.message)
            return
    await enqueue(
        ctx.session,
        "payouts.initiate_transfer",
        {"payout_id": payout.id},
        dedupe_key=f"payout_transfer:{payout.id}",
    )


@job_handler("payouts.initiate_transfer")
async def initiate_transfer(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send the transfer; safe to retry (verify first, same reference)."""
    payout = await ctx.session.get(Payout, payload["payout_id"], with_for_update=True)
    if payout is None:
        return
    async with gateway.paystack(ctx.settings) as client:
        await service.send_transfer(ctx.session, client, payout)


@job_handler("payouts.settle_transfer")
async def settle_transfer(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A ``transfer.*`` event from the inbox: verify with Paystack, then settle the payout."""
    event = await ctx.session.get(WebhookEvent, payload["event_id"])
    if event is None or event.status != "received":
        return
    reference = str(parse_event(event.payload.encode()).data.get("reference") or "")
    payout = await service.payout_by_reference(ctx.session, reference)
    if payout is None:
        finish_event(event, "ignored", f"unknown transfer reference {reference!r}")
        return
    async with gateway.paystack(ctx.settings) as client:
        verified = await client.verify_transfer(reference)
    if not verified.is_final:  # the event ran ahead of Paystack's own record: ask again later
        raise RetryJob(timedelta(seconds=30), f"transfer still {verified.status}")
    outcome = await service.settle_payout(ctx.session, payout, verified)
    finish_event(event, "processed", f"payout {payout.id}: {outcome}")
