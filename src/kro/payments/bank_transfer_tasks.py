"""Job handlers of bank-transfer funding (:mod:`kro.payments.bank_transfer`)."""

from __future__ import annotations

from typing import Any

from kro.jobs.registry import JobContext, job_handler
from kro.payments import bank_transfer
from kro.payments.models import WebhookEvent


@job_handler(bank_transfer.CONFIRM_JOB)
async def confirm_bank_transfer(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Inbox settlement → ``PiPverifyTransaction`` → post it (idempotent: a processed event is
    left alone, and ledger ids derive from the payment and the event)."""
    event = await ctx.session.get(WebhookEvent, payload["event_id"])
    if event is None or event.status != "received":
        return
    retry_unknown = ctx.attempt < bank_transfer.UNKNOWN_SETTLEMENT_ATTEMPTS
    async with bank_transfer.providus_client(ctx.settings) as client:
        await bank_transfer.confirm_bank_transfer(
            ctx.session, client, event, retry_unknown=retry_unknown and not ctx.is_last_attempt
        )
