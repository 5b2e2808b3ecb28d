"""Job handler of the outgoing webhooks: ``webhooks.deliver`` (one attempt of a delivery)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kro.jobs.errors import PermanentJobError
from kro.jobs.registry import JobContext, job_handler
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.webhooks import attempts
from kro.webhooks.delivery import send
from kro.webhooks.service import DELIVER_JOB


@job_handler(DELIVER_JOB)
async def deliver(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Make attempt ``payload["attempt"]`` of delivery ``payload["delivery_id"]``: plan it in a
    short transaction of its own (opened before ``ctx.session`` is touched, as SQLite needs),
    POST with no transaction open, then record the outcome in the job's transaction.
    Idempotent: a stale job (the delivery moved on) does nothing."""
    try:
        delivery_id, number = str(payload["delivery_id"]), int(payload["attempt"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentJobError(f"bad webhooks.deliver payload: {exc}") from exc
    async with unit_of_work(ctx.sessions) as session:
        plan = await attempts.plan(session, delivery_id, number, utcnow())
    if plan is None:
        return
    if plan.message is None:
        await attempts.give_up(ctx.session, plan)
        return
    # Signed at the wall clock: the receiver checks webhook-timestamp against its own clock
    # (Standard Webhooks' tolerance), never against the platform's movable business clock.
    signed_at = datetime.now(UTC)
    outcome = await send(plan.message, at=signed_at, timeout_seconds=ctx.settings.webhook_timeout)
    await attempts.record(
        ctx.session,
        plan,
        outcome,
        now=utcnow(),
        disable_after=timedelta(seconds=ctx.settings.webhook_disable_after),
    )
