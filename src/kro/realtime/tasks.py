"""Job handler of the realtime module: ``realtime.emit``, written by :func:`publish`."""

from __future__ import annotations

from typing import Any

from kro.jobs import JobContext, job_handler
from kro.realtime import hub
from kro.realtime.service import EMIT_JOB, user_room


@job_handler(EMIT_JOB)
async def emit(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Emit ``payload["event"]`` to the rooms of ``payload["user_ids"]`` as
    ``{"id": <job id>, "data": payload["data"]}``.

    Touches no table. A retry emits again with the same ``id`` (at least once); Redis being
    down raises ``RealtimeUnavailable`` and the job is retried.
    """
    rooms = [user_room(uid) for uid in payload["user_ids"]]
    message = {"id": ctx.job_id, "data": payload["data"]}
    await hub.deliver(ctx.settings, payload["event"], message, rooms)
