"""Job handlers of the merchant API's payments: provider webhooks and refunds.

Each reloads its rows by id, locks the payment, and is idempotent: settling twice from the
same provider answer changes nothing (the state table and the ledger's derived ids see to it).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kro.jobs.errors import RetryJob
from kro.jobs.registry import JobContext, job_handler
from kro.kit.errors import Conflict
from kro.payments import merchant_refunds, merchant_webhooks
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable


@job_handler("payments.merchant_webhook")
async def merchant_webhook(ctx: JobContext, payload: dict[str, Any]) -> None:
    """An inbox event about a merchant payment → ask the provider (no transaction open) →
    lock and settle. A provider that cannot answer now is asked again later; one that refuses
    (or a configuration that is gone) leaves the event ``ignored`` with the reason —
    reconciliation settles the payment from the provider's records."""
    event_id, payment_id = str(payload["event_id"]), str(payload["payment_id"])
    try:
        answer = await merchant_webhooks.ask(ctx.sessions, ctx.settings, event_id, payment_id)
    except (ProviderUnavailable, ProviderTimeout) as exc:
        raise RetryJob(timedelta(seconds=30), f"provider: {exc.code}") from exc
    except (ProviderRejected, Conflict) as exc:
        await merchant_webhooks.ignore(ctx.session, event_id, f"{exc.code}: {exc.message}")
        return
    if answer is not None:
        await merchant_webhooks.apply(ctx.session, event_id, payment_id, answer)


@job_handler("payments.merchant_refund")
async def merchant_refund(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send (or poll) a merchant refund at its provider."""
    poll = int(payload.get("poll", 0))
    await merchant_refunds.send_refund(
        ctx.session,
        ctx.sessions,
        ctx.settings,
        str(payload["refund_id"]),
        poll=poll,
        first_try=poll == 0 and ctx.attempt == 1,
    )
