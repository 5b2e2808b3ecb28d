"""Job handlers of monthly gifts (listed in ``kro.registry.TASK_MODULES``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kro.giving.monthly import service
from kro.jobs.errors import RetryJob
from kro.jobs.registry import JobContext, job_handler
from kro.providers.errors import ProviderTimeout, ProviderUnavailable


@job_handler("giving.cancel_monthly")
async def cancel_monthly(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The campaign ended: disable the gift's subscription (asked again later if the
    provider cannot answer now)."""
    try:
        await service.cancel_for_campaign(ctx.session, ctx.settings, str(payload["gift_id"]))
    except (ProviderUnavailable, ProviderTimeout) as exc:
        raise RetryJob(timedelta(minutes=5), f"provider: {exc.code}") from exc
