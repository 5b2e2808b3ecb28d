"""Escrow job handlers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from kro.escrow import notices, service
from kro.jobs.registry import JobContext, job_handler
from kro.jobs.scheduler import periodic
from kro.kit.clock import utcnow

log = structlog.get_logger("kro.escrow.tasks")


@job_handler("escrow.payment_completed")
async def payment_completed(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The buyer's payment is verified and in escrow: fund the order (idempotent)."""
    await service.fund(ctx.session, payload["payment_id"], payload["purpose_id"])


@job_handler("escrow.payment_failed")
async def payment_failed(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A checkout failed (declined, or no provider would take it): the order stays
    ``accepted`` and the buyer may pay again; nothing to undo."""
    log.info("escrow_payment_failed", **payload)


@job_handler("escrow.payment_needs_review")
async def payment_needs_review(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The provider took another amount or currency than the order's: nothing was booked and
    the order stays unfunded until an operator resolves the payment."""
    log.warning("escrow_payment_needs_review", **payload)


@job_handler("escrow.payment_refunded")
async def payment_refunded(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Everything paid was given back; escrow asked for it (cancellation, dispute), so the
    order already shows it."""
    log.info("escrow_payment_refunded", **payload)


@job_handler("escrow.refund_payment")
async def refund_payment(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Give back a payment that arrived after its order ended."""
    await service.refund_late_payment(ctx.session, payload["payment_id"], payload["order_id"])


@periodic("escrow.expire_orders", every=timedelta(minutes=1))
async def expire_orders(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Expire orders not funded before ``expires_at``."""
    await service.expire_orders(ctx.session, utcnow())


@periodic("escrow.auto_release", every=timedelta(minutes=1))
async def auto_release(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Release orders whose inspection period ended without a complaint."""
    await service.auto_release(ctx.session, utcnow())


@periodic("escrow.inspection_reminders", every=timedelta(minutes=5))
async def inspection_reminders(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Remind both parties a day before an inspection period ends."""
    for order in await service.due_inspection_reminders(ctx.session, utcnow()):
        await notices.inspection_reminder(ctx.session, order)
