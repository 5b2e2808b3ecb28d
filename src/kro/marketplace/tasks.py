"""Job handlers of ``kro.marketplace`` (listed in ``kro.registry.TASK_MODULES``): the
payments core's outcomes and the order timers (idempotent; safe with several workers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from kro.jobs.registry import JobContext, job_handler
from kro.jobs.scheduler import periodic
from kro.kit.clock import utcnow
from kro.marketplace import orders, purchases, reviews, timers

log = structlog.get_logger("kro.marketplace.tasks")


@job_handler("marketplace.payment_completed")
async def payment_completed(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The buyer's payment is verified and in escrow: the order is paid (idempotent)."""
    await orders.fund(ctx.session, ctx.settings, payload["payment_id"], payload["purpose_id"])


@job_handler("marketplace.payment_failed")
async def payment_failed(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A checkout failed: the order stays ``pending`` and the buyer may pay again."""
    log.info("marketplace_payment_failed", **payload)


@job_handler("marketplace.payment_needs_review")
async def payment_needs_review(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The provider took another amount than the order's: nothing booked; an operator acts."""
    log.warning("marketplace_payment_needs_review", **payload)


@job_handler("marketplace.payment_refunded")
async def payment_refunded(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A refund the marketplace asked for went through; the order already shows it."""
    log.info("marketplace_payment_refunded", **payload)


@job_handler("marketplace.refund_payment")
async def refund_payment(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Give back a payment that arrived for an order already cancelled or paid."""
    await orders.refund_stray_payment(ctx.session, payload["payment_id"], payload["order_id"])


@job_handler("marketplace_extra.payment_completed")
async def extra_payment_completed(ctx: JobContext, payload: dict[str, Any]) -> None:
    """An extra bought mid-order is paid: held with the order (or refunded; idempotent)."""
    await purchases.extra_paid(ctx.session, payload["payment_id"], payload["purpose_id"])


@job_handler("marketplace_tip.payment_completed")
async def tip_payment_completed(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A tip is paid: into the seller's pending clearance (idempotent)."""
    await purchases.tip_paid(
        ctx.session, ctx.settings, payload["payment_id"], payload["purpose_id"]
    )


@job_handler("marketplace_extra.payment_failed")
@job_handler("marketplace_tip.payment_failed")
async def purchase_payment_failed(ctx: JobContext, payload: dict[str, Any]) -> None:
    """An extra's or a tip's checkout failed: nothing changes; the buyer may try again."""
    log.info("marketplace_purchase_payment_failed", **payload)


@job_handler("marketplace_extra.payment_needs_review")
@job_handler("marketplace_tip.payment_needs_review")
async def purchase_payment_needs_review(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The provider took another amount than asked: nothing booked; an operator acts."""
    log.warning("marketplace_purchase_payment_needs_review", **payload)


@job_handler("marketplace_extra.payment_refunded")
@job_handler("marketplace_tip.payment_refunded")
async def purchase_payment_refunded(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A refund of an extra or a tip went through; the order already shows it."""
    log.info("marketplace_purchase_payment_refunded", **payload)


@periodic("marketplace.expire_unpaid", every=timedelta(minutes=1))
async def expire_unpaid(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Cancel orders left unpaid past their expiry."""
    await timers.expire_unpaid(ctx.session, utcnow())


@periodic("marketplace.mark_late", every=timedelta(minutes=5))
async def mark_late(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Flag orders past their due date as late."""
    await timers.mark_late(ctx.session, utcnow())


@periodic("marketplace.auto_complete", every=timedelta(minutes=1))
async def auto_complete(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Complete orders delivered long enough ago without an answer from the buyer."""
    await timers.auto_complete(ctx.session, ctx.settings, utcnow())


@periodic("marketplace.hard_limit", every=timedelta(minutes=5))
async def hard_limit(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Cancel and refund orders never completed by their hard limit."""
    await timers.enforce_hard_limit(ctx.session, utcnow())


@periodic("marketplace.clear_earnings", every=timedelta(minutes=5))
async def clear_earnings(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Make earnings and tips whose clearance period is over available in the wallets."""
    now = utcnow()
    await timers.clear_earnings(ctx.session, now)
    await timers.clear_tips(ctx.session, now)


@periodic("marketplace.cancel_unanswered", every=timedelta(minutes=5))
async def cancel_unanswered(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Accept mutual cancellation requests left unanswered past the timeout."""
    await timers.cancel_unanswered(ctx.session, ctx.settings, utcnow())


@periodic("marketplace.publish_reviews", every=timedelta(minutes=15))
async def publish_reviews(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Publish reviews whose window closed without the other side's."""
    await reviews.publish_due(ctx.session, utcnow(), ctx.settings.marketplace_review_window)
