"""Payments job handlers."""

from __future__ import annotations

from typing import Any

from kro.jobs.registry import JobContext, job_handler
from kro.payments import gateway, refunds, service
from kro.payments.models import Refund, WebhookEvent


@job_handler("payments.confirm_charge")
async def confirm_charge(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Inbox event → verify with the provider → complete the payment (idempotent)."""
    event = await ctx.session.get(WebhookEvent, payload["event_id"])
    if event is None or event.status != "received":
        return
    if event.event_type != "charge.success":
        service.finish_event(event, "ignored", f"{event.event_type} needs no action")
        return
    async with gateway.paystack(ctx.settings) as client:
        await service.confirm_charge(ctx.session, client, event)


@job_handler("payments.send_refund")
async def send_refund(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Ask the provider to refund (after the ledger moved)."""
    refund = await ctx.session.get(Refund, payload["refund_id"], with_for_update=True)
    if refund is None:
        return
    async with gateway.paystack(ctx.settings) as client:
        await refunds.send_refund(ctx.session, client, refund)


@job_handler("payments.settle_refund")
async def settle_refund(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A ``refund.*`` event from the inbox."""
    event = await ctx.session.get(WebhookEvent, payload["event_id"])
    if event is None or event.status != "received":
        return
    if event.event_type not in ("refund.processed", "refund.failed"):
        service.finish_event(event, "ignored", f"{event.event_type} needs no action")
        return
    await refunds.settle_refund_event(ctx.session, event)
