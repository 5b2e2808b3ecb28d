"""Job handlers of the merchant API's payments: provider webhooks and refunds.

Each reloads its rows by id, locks the payment, and is idempotent: settling twice from the
same provider answer changes nothing (the state table and the ledger's derived ids see to it).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kro.jobs.errors import RetryJob
from kro.jobs.registry import JobContext, job_handler
from kro.payments import merchant_refunds, merchant_webhooks
from kro.payments.models import Payment, Refund, WebhookEvent
from kro.providers.errors import ProviderTimeout, ProviderUnavailable


@job_handler("payments.merchant_webhook")
async def merchant_webhook(ctx: JobContext, payload: dict[str, Any]) -> None:
    """An inbox event about a merchant payment → ask the provider → settle."""
    event = await ctx.session.get(WebhookEvent, payload["event_id"])
    if event is None or event.status != "received":
        return
    payment = await ctx.session.get(Payment, payload["payment_id"], with_for_update=True)
    if payment is None:
        return
    try:
        await merchant_webhooks.process(ctx.session, ctx.settings, event, payment)
    except (ProviderUnavailable, ProviderTimeout) as exc:
        raise RetryJob(timedelta(seconds=30), f"provider: {exc.code}") from exc


@job_handler("payments.merchant_refund")
async def merchant_refund(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send (or poll) a merchant refund at its provider."""
    refund = await ctx.session.get(Refund, payload["refund_id"], with_for_update=True)
    if refund is None:
        return
    await merchant_refunds.send_refund(
        ctx.session, ctx.settings, refund, int(payload.get("poll", 0))
    )
