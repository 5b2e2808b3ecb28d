"""Payments job handlers."""

from __future__ import annotations

from typing import Any

from kro.jobs.registry import JobContext, job_handler
from kro.payments import gateway, service
from kro.payments.models import WebhookEvent


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
