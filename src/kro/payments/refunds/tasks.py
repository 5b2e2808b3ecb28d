"""Payments job handlers."""

from __future__ import annotations

from typing import Any

from kro.jobs.registry import JobContext, job_handler
from kro.payments.refunds import service as refunds


@job_handler(refunds.JOB)
async def send_refund(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send (or poll) a refund at its provider, for any payment — a merchant's or a
    product's (``{"refund_id", "poll"}``); no lock held during the call."""
    poll = int(payload.get("poll", 0))
    await refunds.send_refund(
        ctx.session,
        ctx.sessions,
        ctx.settings,
        str(payload["refund_id"]),
        poll=poll,
        first_try=poll == 0 and ctx.attempt == 1,
    )
