"""Publishing a realtime event: a ``realtime.emit`` job written in the caller's transaction.

Like every service this only ``flush()``es: the event leaves when (and only if) the state
change that caused it commits.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kro.jobs import Job, enqueue

EMIT_JOB = "realtime.emit"
# An event is stale after a few minutes; a short retry budget keeps it from arriving an hour
# late (the worker's backoff grows exponentially).
EMIT_MAX_ATTEMPTS = 5
# "order.updated": dotted and lower-case, which also keeps Socket.IO's reserved names
# (connect, disconnect, connect_error, message) out.
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_DEDUPE_PREFIX = "realtime:"
_DEDUPE_MAX = 200  # jobs.dedupe_key is String(200)


def user_room(user_id: str) -> str:
    """The Socket.IO room every connection of ``user_id`` joins."""
    return f"user:{user_id}"


async def publish(
    session: AsyncSession,
    user_ids: list[str],
    event: str,
    data: dict[str, Any],
    *,
    dedupe_key: str,
) -> Job | None:
    """Enqueue ``event`` with ``data`` for every connection of ``user_ids`` (flushed, not
    committed). Returns the job, or ``None`` when ``user_ids`` is empty.

    - ``event``: dotted lower-case name (``"order.updated"``); ``ValueError`` otherwise.
    - ``data``: a JSON object of ids and plain values (amounts in minor units); ``TypeError``
      if it does not serialise.
    - ``dedupe_key``: names this event (``f"order.updated:{order.id}:{transition.id}"``);
      publishing the same key again (a retried handler) writes nothing and returns the first
      job, so the event is emitted once.

    Callers scope ``user_ids`` themselves: only the users allowed to see the object.
    """
    if not EVENT_NAME.match(event) or len(event) > 100:
        raise ValueError(f"bad realtime event name {event!r}: expected 'domain.event'")
    if not dedupe_key:
        raise ValueError("a realtime event needs a dedupe_key")
    recipients = sorted({uid for uid in user_ids if uid})
    if not recipients:
        return None
    payload = {"user_ids": recipients, "event": event, "data": data}
    return await enqueue(
        session,
        EMIT_JOB,
        payload,
        dedupe_key=_job_dedupe_key(dedupe_key),
        max_attempts=EMIT_MAX_ATTEMPTS,
    )


def _job_dedupe_key(key: str) -> str:
    full = _DEDUPE_PREFIX + key
    if len(full) <= _DEDUPE_MAX:
        return full
    return _DEDUPE_PREFIX + "sha256:" + hashlib.sha256(key.encode()).hexdigest()
