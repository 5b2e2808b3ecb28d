"""Reconciliation jobs (:mod:`kro.payments.reconciliation.service`).

``payments.reconcile`` is periodic. It ticks every :data:`TICK` and does its work once per
``KRO_RECONCILE_INTERVAL`` seconds (hourly by default; read at run time, so the interval is
the running settings', rounded to ticks): then it enqueues one ``payments.reconcile_config``
job per enabled provider configuration — every tenant's, then the platform's own
(:func:`.service.platform_configs`, through which the products collect) — and per UTC day
that the last ``KRO_RECONCILE_LOOKBACK`` seconds touch (today and the day before, or more).
One job per configuration and day keeps provider calls apart: a provider that is down fails
only its own jobs, and workers share the load. Both handlers are idempotent: reconciling twice
writes a second report and settles nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from kro.jobs.registry import JobContext, job_handler
from kro.jobs.scheduler import periodic
from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.payments.models import Payment
from kro.payments.reconciliation import service as reconciliation
from kro.payments.reconciliation import verification

TICK = timedelta(minutes=5)


def is_due(slot_start: datetime, interval_seconds: int) -> bool:
    """Whether the tick starting at ``slot_start`` opens a new ``interval_seconds`` period
    (every tick when the interval is shorter than a tick)."""
    tick = int(TICK.total_seconds())
    return interval_seconds <= tick or int(slot_start.timestamp()) % interval_seconds < tick


@periodic("payments.reconcile", every=TICK, max_attempts=3)
async def reconcile(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Fan out ``payments.reconcile_config`` for each enabled configuration (the tenants', then
    the platform's) and recent day."""
    slot_start = datetime.fromisoformat(payload["scheduled_for"].replace("Z", "+00:00"))
    if not is_due(slot_start, ctx.settings.reconcile_interval):
        return
    days = reconciliation.days_back(utcnow(), timedelta(seconds=ctx.settings.reconcile_lookback))
    configs = await reconciliation.enabled_configs(ctx.session)
    for config in configs + reconciliation.platform_configs(ctx.settings):
        for day in days:
            await enqueue(
                ctx.session,
                "payments.reconcile_config",
                {"config_id": config.id, "day": day.isoformat(), "actor": "schedule"},
                dedupe_key=f"reconcile:{config.id}:{day.isoformat()}:{payload['slot']}",
            )


@job_handler("payments.reconcile_config")
async def reconcile_config(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Reconcile one configuration over one day: ``{"config_id", "day": "YYYY-MM-DD",
    "actor"?}`` (a tenant's id, or ``platform_<provider>``). The provider is asked with no
    transaction open; the report and settlements commit with the job."""
    async with unit_of_work(ctx.sessions) as read:
        config = await reconciliation.load_config(read, str(payload["config_id"]))
        if config is not None and config in read:
            read.expunge(config)
    if config is None or not config.enabled:
        return
    await reconciliation.reconcile_config(
        ctx.session,
        ctx.sessions,
        ctx.settings,
        config,
        date.fromisoformat(payload["day"]),
        actor=str(payload.get("actor") or reconciliation.ACTOR),
    )


@job_handler(verification.JOB)
async def verify_payment(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Check ``step`` of an open payment (``{"payment_id", "step"}``): ask the provider, settle
    from its answer, and if it is still open queue the next step of the backoff."""
    payment_id, step = str(payload["payment_id"]), int(payload.get("step", 0))
    charge = await verification.ask(ctx.sessions, ctx.settings, payment_id)
    payment = await ctx.session.get(Payment, payment_id, populate_existing=True)
    if charge is not None:
        payment = await verification.apply(ctx.session, payment_id, charge)
    if payment is not None:
        await verification.schedule(ctx.session, payment, step + 1)


@periodic("payments.reconcile_open", every=timedelta(minutes=5), max_attempts=3)
async def reconcile_open(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The sweep: queue a check of every open payment that is due (every tick while young,
    hourly while within the horizon; :func:`.verification.due_for_sweep`)."""
    slot_start = datetime.fromisoformat(payload["scheduled_for"].replace("Z", "+00:00"))
    hourly = slot_start.minute < 5
    for payment_id in await verification.due_for_sweep(
        ctx.session, ctx.settings, utcnow(), hourly=hourly
    ):
        await enqueue(
            ctx.session,
            verification.JOB,
            {"payment_id": payment_id, "step": len(verification.BACKOFF)},
            dedupe_key=f"sweep:{payment_id}:{payload['slot']}",
        )
