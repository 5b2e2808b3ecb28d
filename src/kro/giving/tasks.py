"""Job handlers of ``kro.giving`` (listed in ``kro.registry.TASK_MODULES``): what the payments
core tells us about a donation's payment, and the periodic end-of-campaign and withdrawal
jobs. Every handler reloads its rows and is idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from kro.giving import donations, notices, withdrawals
from kro.giving.monthly import service as monthly
from kro.jobs.registry import JobContext, job_handler
from kro.jobs.scheduler import periodic

log = structlog.get_logger("kro.giving.tasks")


@job_handler("giving.payment_completed")
async def payment_completed(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The donor's payment is verified and in the campaign's account: book it (idempotent).
    A payment naming a monthly gift is one of its later months: a donation of its own."""
    donation_id: str | None = str(payload["purpose_id"])
    if donation_id and donation_id.startswith(monthly.PREFIX):
        donation_id = await monthly.renewal_donation(
            ctx.session, payload["payment_id"], donation_id
        )
    if donation_id and await donations.completed(ctx.session, payload["payment_id"], donation_id):
        await notices.donation_receipt(ctx.session, donation_id, ctx.settings.base_url)


@job_handler("giving.payment_failed")
async def payment_failed(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The checkout failed: the donation is marked failed, nothing was booked."""
    await donations.failed(ctx.session, payload["purpose_id"])


@job_handler("giving.payment_needs_review")
async def payment_needs_review(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Another amount or currency than asked: nothing booked until an operator resolves it."""
    log.warning("giving_payment_needs_review", **payload)


@job_handler("giving.payment_refunded")
async def payment_refunded(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The provider gave the money back; the donation already shows ``refunded``."""
    log.info("giving_payment_refunded", **payload)


@periodic("giving.end_campaigns", every=timedelta(minutes=1))
async def end_campaigns(ctx: JobContext, payload: dict[str, Any]) -> None:
    """End campaigns past their end date; settle all-or-nothing ones waiting for funds."""
    await donations.end_due(ctx.session)


@periodic("giving.sync_withdrawals", every=timedelta(seconds=30))
async def sync_withdrawals(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Move processing withdrawals on once their payout succeeded or failed."""
    await withdrawals.sync_open(ctx.session)
