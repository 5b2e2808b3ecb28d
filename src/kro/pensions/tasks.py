"""Job handlers of ``kro.pensions`` (listed in ``kro.registry.TASK_MODULES``).

The payments core tells us about a remittance only through ``pensions.payment_*`` jobs, after
Remita's status check (its notification is unsigned); each handler reloads by id and is
idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from kro.jobs.registry import JobContext, job_handler
from kro.jobs.scheduler import periodic
from kro.kit.clock import utcnow
from kro.pensions import compliance, notices, schedules

log = structlog.get_logger("kro.pensions.tasks")


@job_handler("pensions.payment_completed")
async def payment_completed(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Remita confirmed the remittance: the schedule is ``confirmed``."""
    done = await schedules.confirm(ctx.session, payload["payment_id"], payload["purpose_id"])
    if done:
        await notices.schedule_confirmed(ctx.session, payload["purpose_id"])


@job_handler("pensions.payment_failed")
async def payment_failed(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The RRR was not paid (declined): the schedule stays ``remitted``; paying again opens a
    new RRR."""
    log.info("pensions_payment_failed", **payload)


@job_handler("pensions.payment_needs_review")
async def payment_needs_review(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Remita reported another amount: nothing booked until an operator resolves it."""
    log.warning("pensions_payment_needs_review", **payload)


@job_handler("pensions.payment_refunded")
async def payment_refunded(ctx: JobContext, payload: dict[str, Any]) -> None:
    log.info("pensions_payment_refunded", **payload)


@periodic("pensions.deadline_reminders", every=timedelta(hours=1))
async def deadline_reminders(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Remind the team by email and SMS of schedules due within the reminder window."""
    for schedule in await schedules.due_reminders(ctx.session, ctx.settings, utcnow().date()):
        await notices.deadline_reminder(ctx.session, schedule)


@periodic("pensions.gli_reminders", every=timedelta(hours=24))
async def gli_reminders(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Flag and remind GLI expiries, shortfalls and missing policies (once per key)."""
    today = utcnow().date()
    for employer_id, key, what in await compliance.gli_attention(ctx.session, ctx.settings, today):
        await notices.gli_attention(ctx.session, employer_id, key, what)
