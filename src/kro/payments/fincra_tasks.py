"""Job handlers of Fincra checkout funding (:mod:`kro.payments.fincra`)."""

from __future__ import annotations

from typing import Any

from kro.jobs.registry import JobContext, job_handler
from kro.payments import fincra
from kro.payments.models import WebhookEvent


@job_handler(fincra.CONFIRM_JOB)
async def confirm_fincra(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Inbox ``charge.successful`` → Fincra's verify → complete the payment (idempotent: a
    processed event is left alone, and ledger ids derive from the payment)."""
    event = await ctx.session.get(WebhookEvent, payload["event_id"])
    if event is None or event.status != "received":
        return
    retry_pending = ctx.attempt < fincra.PENDING_ATTEMPTS and not ctx.is_last_attempt
    async with fincra.fincra_client(ctx.settings) as client:
        await fincra.confirm_fincra_charge(ctx.session, client, event, retry_pending=retry_pending)
