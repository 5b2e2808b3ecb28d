"""The one clock. Everything that asks the time asks :data:`clock`, so tests can move it.

``clock.now()`` is always timezone-aware UTC. Tests call ``clock.advance(...)`` /
``clock.reset()``; the offset is process-wide, so a test that moves time for the worker moves
it for the code under test too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock UTC time plus an adjustable offset (zero in production)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move time forward (tests only)."""
        self._offset += delta

    def reset(self) -> None:
        """Back to real time."""
        self._offset = timedelta(0)


clock = Clock()


def utcnow() -> datetime:
    """Shorthand for ``clock.now()``."""
    return clock.now()
