"""Job handlers of the inbox: provider events (every provider, every payment).

Each reloads its rows by id, asks the provider with no transaction open, then locks the
payment, and is idempotent: settling twice from the same provider answer changes nothing (the
state table and the ledger's derived ids see to it).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kro.jobs.errors import RetryJob
from kro.jobs.registry import JobContext, job_handler
from kro.kit.errors import Conflict
from kro.payments.inbox import events as merchant_webhooks
from kro.payments.reconciliation import verification
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable


@job_handler("payments.provider_event")
async def provider_event(ctx: JobContext, payload: dict[str, Any]) -> None:
    """An inbox event about a payment → ask the provider (no transaction open) → lock and
    settle. A provider that cannot answer now is asked again later; one that refuses (or a
    configuration that is gone) leaves the event ``ignored`` with the reason. A payment the
    provider has not confirmed stays open and is asked about again with backoff
    (:mod:`kro.payments.reconciliation.verification`); reconciliation covers it too."""
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
