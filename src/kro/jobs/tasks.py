"""The jobs module's own periodic job: purge finished jobs past retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from kro.jobs import service
from kro.jobs.registry import JobContext
from kro.jobs.scheduler import periodic
from kro.kit.clock import utcnow

log = structlog.get_logger("kro.jobs")


@periodic("jobs.purge_finished", every=timedelta(hours=1), max_attempts=3)
async def purge_finished(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Delete ``done`` jobs finished more than ``job_retention_days`` ago (dead ones stay)."""
    before = utcnow() - timedelta(days=ctx.settings.job_retention_days)
    purged = await service.purge_finished(ctx.session, before=before)
    log.info("jobs_purged", purged=purged, before=before.isoformat())
