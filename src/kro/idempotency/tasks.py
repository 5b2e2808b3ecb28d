"""Idempotency job handlers: the hourly purge of expired records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from kro.idempotency import service
from kro.jobs.registry import JobContext
from kro.jobs.scheduler import periodic
from kro.kit.clock import utcnow

log = structlog.get_logger("kro.idempotency")


@periodic("idempotency.purge_expired", every=timedelta(hours=1), max_attempts=3)
async def purge_expired(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Delete idempotency records past their 24 h (expired ones are also taken over lazily)."""
    purged = await service.purge_expired(ctx.session, utcnow())
    log.info("idempotency_keys_purged", purged=purged)
