"""Failover: try each sender of a channel in order until one accepts the message.

Any failure moves on to the next provider: unavailable (down, 5xx, 429), rejected (4xx: the
next provider may accept a number this one refuses), a timeout (``notification_timeout``
seconds; the first provider *may* still deliver, which for a message, unlike money, is the
lesser harm), or an unexpected error. Every attempt is reported to ``record`` as it ends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog

from kro.notifications.channels import OutgoingMessage, Sender
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable

log = structlog.get_logger("kro.notifications")


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """One provider call. ``outcome``: sent | unavailable | timeout | rejected | error;
    ``duration_ms`` in milliseconds; ``message_id`` only when sent."""

    provider: str
    outcome: str
    duration_ms: int
    error: str | None = None
    message_id: str | None = None

    @property
    def sent(self) -> bool:
        return self.outcome == "sent"


Recorder = Callable[[AttemptResult], Awaitable[None]]


async def send_with_failover(
    message: OutgoingMessage, senders: Sequence[Sender], record: Recorder, *, per_provider: float
) -> AttemptResult | None:
    """Send through the first sender that accepts; the successful attempt, or None if all
    failed. ``per_provider``: seconds allowed per provider (on top of the client's own)."""
    for sender in senders:
        result = await _attempt(sender, message, per_provider)
        await record(result)
        log.info(
            "notification_attempt",
            notification_id=message.reference,
            provider=result.provider,
            outcome=result.outcome,
            duration_ms=result.duration_ms,
            error=result.error,
        )
        if result.sent:
            return result
    return None


async def _attempt(sender: Sender, message: OutgoingMessage, per_provider: float) -> AttemptResult:
    started = time.monotonic()

    def done(
        outcome: str, error: str | None = None, message_id: str | None = None
    ) -> AttemptResult:
        ms = int((time.monotonic() - started) * 1000)
        return AttemptResult(sender.provider, outcome, ms, error, message_id)

    try:
        async with asyncio.timeout(per_provider):
            message_id = await sender.send(message)
    except ProviderUnavailable as exc:
        return done("unavailable", exc.message)
    except (ProviderTimeout, TimeoutError) as exc:
        return done("timeout", getattr(exc, "message", None) or "no answer in time")
    except ProviderRejected as exc:
        return done("rejected", exc.message)
    except Exception as exc:
        log.exception("notification_sender_error", provider=sender.provider)
        return done("error", f"{type(exc).__name__}: {exc}"[:500])
    return done("sent", message_id=message_id)
