"""Socket.IO's Redis manager, made to fail loudly.

``socketio.AsyncRedisManager`` logs and gives up when Redis cannot take a publish, so the emit
job would be marked done and the event lost. Ours raises :class:`RealtimeUnavailable` instead:
the job fails and the worker retries it (DESIGN.md section 5: at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import socketio
from redis.exceptions import RedisError

_PUBLISH_TRIES = 2  # the second one on a fresh connection


class RealtimeUnavailable(RuntimeError):
    """Redis did not take the event; the job is retried."""


class RedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """``AsyncRedisManager`` whose publish raises :class:`RealtimeUnavailable` on failure.

    ``write_only=True`` makes an emitter for a process without a Socket.IO server (a
    ``kro worker``): it publishes to the channel and listens to nothing.
    """

    connected: bool

    async def _publish(self, data: Any) -> Any:
        error: Exception | None = None
        for _ in range(_PUBLISH_TRIES):
            try:
                if not self.connected:
                    self._redis_connect()
                return await self.redis.publish(self.channel, self.json.dumps(data))
            except (RedisError, OSError) as exc:
                self.connected = False
                error = exc
        raise RealtimeUnavailable(f"Redis did not take the realtime event: {error}") from error


async def close_manager(manager: Any) -> None:
    """Stop a Redis manager's listener task (if it runs) and close its connection."""
    task = getattr(manager, "thread", None)
    if isinstance(task, asyncio.Task) and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    redis = getattr(manager, "redis", None)
    if redis is not None:
        with contextlib.suppress(Exception):
            await redis.aclose()
    manager.connected = False
