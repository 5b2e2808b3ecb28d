"""Where this process sends an event: its running Socket.IO servers, or Redis.

The ``realtime.emit`` handler runs wherever a worker runs: inside ``kro serve`` (next to a
server) or in a ``kro worker`` process (no server). :func:`deliver` picks the way out:

- ``KRO_REDIS_URL`` set: through a server of this event loop on the same Redis URL and
  channel (it also reaches its own clients directly), else through a write-only Redis
  emitter. Either way every server subscribed to the channel delivers to its clients.
- not set: through every server running on this event loop (normally exactly one); with none,
  the event has nowhere to go (no client can be connected to a process that has no server)
  and is dropped with a warning.

Servers register while :meth:`kro.realtime.server.Realtime.running` is entered. Only servers of
the current event loop are used: a server's sockets belong to its loop.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any, Protocol

import structlog

from kro.realtime.managers import RedisManager
from kro.settings import Settings

log = structlog.get_logger("kro.realtime")


class Server(Protocol):
    """What the hub needs of a running server (:class:`kro.realtime.server.Realtime`)."""

    @property
    def bus(self) -> str | None: ...

    async def emit(self, event: str, message: dict[str, Any], rooms: list[str]) -> None: ...


_servers: list[tuple[asyncio.AbstractEventLoop, Server]] = []
_emitters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, RedisManager]] = (
    weakref.WeakKeyDictionary()
)


def bus_of(settings: Settings) -> str | None:
    """The shared bus ``"{redis_url}#{channel}"``, or ``None`` for in-process delivery."""
    if not settings.redis_url:
        return None
    return f"{settings.redis_url}#{settings.realtime_channel}"


def register(server: Server) -> None:
    """Make ``server`` (running on the current loop) a way out for this process's events."""
    _servers.append((asyncio.get_running_loop(), server))


def unregister(server: Server) -> None:
    _servers[:] = [(loop, s) for loop, s in _servers if s is not server]


def _local_servers(bus: str | None) -> list[Server]:
    loop = asyncio.get_running_loop()
    return [s for owner, s in _servers if owner is loop and s.bus == bus]


async def deliver(
    settings: Settings, event: str, message: dict[str, Any], rooms: list[str]
) -> None:
    """Emit ``event`` with ``message`` to ``rooms`` on every server sharing this process's bus.

    Raises :class:`kro.realtime.managers.RealtimeUnavailable` if Redis does not take it.
    """
    bus = bus_of(settings)
    servers = _local_servers(bus)
    if bus is not None:
        if servers:
            await servers[0].emit(event, message, rooms)
        else:
            await _emitter(settings).emit(event, message, to=rooms)
        return
    if not servers:
        log.warning("realtime_no_server", realtime_event=event, rooms=len(rooms))
        return
    for server in servers:
        await server.emit(event, message, rooms)


def _emitter(settings: Settings) -> RedisManager:
    """A write-only Redis emitter per event loop and bus (its connection belongs to a loop)."""
    loop = asyncio.get_running_loop()
    per_loop = _emitters.setdefault(loop, {})
    bus = bus_of(settings)
    assert bus is not None
    emitter = per_loop.get(bus)
    if emitter is None:
        emitter = RedisManager(
            settings.redis_url, channel=settings.realtime_channel, write_only=True
        )
        per_loop[bus] = emitter
    return emitter
