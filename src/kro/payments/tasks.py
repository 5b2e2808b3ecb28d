"""Payments job handlers."""

from __future__ import annotations

from typing import Any

from kro.jobs.registry import JobContext, job_handler
from kro.payments import refunds, service
from kro.payments.models import WebhookEvent


@job_handler("payments.send_refund")
async def send_refund(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Ask the provider to refund (after the ledger moved); no lock held during the call."""
    await refunds.send_refund(ctx.session, ctx.sessions, ctx.settings, str(payload["refund_id"]))


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
