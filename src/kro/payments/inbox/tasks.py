"""Job handlers of the payments pipeline: provider events (every provider, every payment),
and re-verification of open payments.

Each reloads its rows by id, asks the provider with no transaction open, then locks the
payment, and is idempotent: settling twice from the same provider answer changes nothing (the
state table and the ledger's derived ids see to it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kro.jobs.errors import RetryJob
from kro.jobs.registry import JobContext, job_handler
from kro.jobs.scheduler import periodic
from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.errors import Conflict
from kro.payments import merchant_webhooks, verification
from kro.payments.models import Payment
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable


@job_handler("payments.provider_event")
async def provider_event(ctx: JobContext, payload: dict[str, Any]) -> None:
    """An inbox event about a payment → ask the provider (no transaction open) → lock and
    settle. A provider that cannot answer now is asked again later; one that refuses (or a
    configuration that is gone) leaves the event ``ignored`` with the reason. A payment the
    provider has not confirmed stays open and is asked about again with backoff
    (:mod:`kro.payments.verification`); reconciliation covers it too."""
    event_id, payment_id = str(payload["event_id"]), str(payload["payment_id"])
    try:
        answer = await merchant_webhooks.ask(ctx.sessions, ctx.settings, event_id, payment_id)
    except (ProviderUnavailable, ProviderTimeout) as exc:
        raise RetryJob(timedelta(seconds=30), f"provider: {exc.code}") from exc
    except (ProviderRejected, Conflict) as exc:
        await merchant_webhooks.ignore(ctx.session, event_id, f"{exc.code}: {exc.message}")
        return
    if answer is None:
        return
    payment = await merchant_webhooks.apply(ctx.session, event_id, payment_id, answer)
    if payment is not None and answer.charge is not None:
        await verification.schedule(ctx.session, payment)


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
    hourly while within the horizon; :func:`kro.payments.verification.due_for_sweep`)."""
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
