"""Job handlers of bank-transfer funding (:mod:`kro.payments.bank_transfer.service`)."""

from __future__ import annotations

from typing import Any

from kro.jobs.registry import JobContext, job_handler
from kro.payments.bank_transfer import service as bank_transfer


@job_handler(bank_transfer.CONFIRM_JOB)
async def confirm_bank_transfer(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Inbox settlement → ``PiPverifyTransaction`` → post it (idempotent: a processed event is
    left alone, and ledger ids derive from the payment and the event)."""
    retry_unknown = ctx.attempt < bank_transfer.UNKNOWN_SETTLEMENT_ATTEMPTS
    await bank_transfer.confirm_bank_transfer(
        ctx.session,
        ctx.sessions,
        ctx.settings,
        str(payload["event_id"]),
        retry_unknown=retry_unknown and not ctx.is_last_attempt,
    )
