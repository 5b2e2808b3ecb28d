"""Sending one webhook attempt, and the rules around it (Standard Webhooks, "Delivery").

Pure parts (no database): the retry schedule with jitter, ``Retry-After`` parsing, the body
and the signature headers. :func:`send` makes one HTTP POST and reports what happened; it
never raises for a receiver's failure.

Source: github.com/standard-webhooks/standard-webhooks ``spec/standard-webhooks.md``
(see ``/work/shared/reference/providers.md`` section 7): any 2xx is success, 3xx is a failure
(redirects are not followed), ``410 Gone`` disables the endpoint, ``429/502/504`` ask us to
throttle and ``Retry-After`` is honoured, 15–30 s timeouts.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from kro.kit.http import make_client

# Delay before attempt n+1 (index n = attempts already made): "immediately, 5 s, 5 min,
# 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h" — ten attempts over about three days.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE)
# Each delay is spread by ±10 % so that endpoints that failed together do not retry together.
JITTER = 0.10
# Statuses whose Retry-After we honour (the spec names 429, 502, 504; RFC 9110 gives 503 one).
THROTTLE_STATUSES = frozenset({429, 502, 503, 504})
# A Retry-After never pushes an attempt further than the schedule's longest step.
RETRY_AFTER_CAP = timedelta(hours=24)
GONE = 410
RESPONSE_EXCERPT_BYTES = 1024
USER_AGENT = "KRO-Webhooks/1.0 (+standardwebhooks)"


def is_success(status_code: int | None) -> bool:
    """Any 2xx (a 3xx is a failure: redirects are not followed)."""
    return status_code is not None and 200 <= status_code < 300


def scheduled_delay(
    attempts_made: int, *, rand: Callable[[], float] = random.random
) -> timedelta | None:
    """Delay before the next attempt once ``attempts_made`` attempts failed, jittered ±10 %;
    ``None`` when the schedule is exhausted (the delivery has failed)."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    factor = 1.0 + JITTER * (2.0 * rand() - 1.0)
    return RETRY_SCHEDULE[attempts_made] * factor


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as a delay: delta-seconds (``"120"``) or an HTTP date; ``None`` if absent
    or unreadable; a date in the past is zero (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


def next_attempt_delay(
    attempts_made: int,
    status_code: int | None,
    retry_after: str | None,
    now: datetime,
    *,
    rand: Callable[[], float] = random.random,
) -> timedelta | None:
    """When to try again after a failed attempt number ``attempts_made``: the schedule's
    delay, or the receiver's ``Retry-After`` (on 429/502/503/504) when later, capped at 24 h.
    ``None`` when no attempt is left."""
    delay = scheduled_delay(attempts_made, rand=rand)
    if delay is None:
        return None
    if status_code in THROTTLE_STATUSES:
        asked = parse_retry_after(retry_after, now)
        if asked is not None:
            delay = max(delay, min(asked, RETRY_AFTER_CAP))
    return delay


def build_body(event_type: str, timestamp: datetime, data: dict[str, Any]) -> str:
    """The payload ``{"type", "timestamp" (ISO-8601 UTC), "data"}`` as compact JSON, made once
    per event (Standard Webhooks: sign the exact bytes sent; never re-serialise).

    Raises ``ValueError``/``TypeError`` if ``data`` is not plain JSON (a programming error)."""
    payload = {
        "type": event_type,
        "timestamp": timestamp.isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def signature(message_id: str, at: datetime, body: str, secrets: Iterable[str]) -> str:
    """The ``webhook-signature`` header: one ``v1,<base64 HMAC-SHA256>`` per secret,
    space-delimited (several entries let receivers rotate secrets without downtime)."""
    return " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets)


def headers(message_id: str, at: datetime, body: str, secrets: Iterable[str]) -> dict[str, str]:
    """The request headers of one attempt; ``webhook-timestamp`` is this attempt's (Unix s)."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature(message_id, at, body, secrets),
    }


@dataclass(frozen=True, slots=True)
class Message:
    """What one attempt sends: to ``url``, signed with each of ``secrets`` (newest first)."""

    url: str
    message_id: str
    body: str
    secrets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What came back: ``status_code`` None when no response arrived (``error`` says why);
    ``response_body`` is at most 1 KB of it; ``retry_after`` the raw header."""

    status_code: int | None
    duration_ms: int
    response_body: str | None = None
    error: str | None = None
    retry_after: str | None = None

    @property
    def succeeded(self) -> bool:
        return is_success(self.status_code)


async def send(message: Message, *, at: datetime, timeout_seconds: float) -> Outcome:
    """POST ``message`` once, signed at ``at``; ``timeout_seconds`` for the whole exchange.

    Redirects are not followed; only the first 1 KB of the response is read. Transport
    errors and timeouts are returned as an :class:`Outcome` with ``error``, never raised."""
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    request_headers = headers(message.message_id, at, message.body, message.secrets)
    try:
        async with (
            asyncio.timeout(timeout_seconds),
            make_client(timeout=timeout_seconds) as client,
            client.stream(
                "POST", message.url, content=message.body.encode(), headers=request_headers
            ) as response,
        ):
            excerpt = await _read_excerpt(response)
            return Outcome(
                status_code=response.status_code,
                duration_ms=elapsed(),
                response_body=excerpt,
                retry_after=response.headers.get("retry-after"),
            )
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(None, elapsed(), error=f"timed out after {timeout_seconds:g} s")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return Outcome(None, elapsed(), error=f"{type(exc).__name__}: {exc}"[:500])


async def _read_excerpt(response: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_EXCERPT_BYTES:
            break
    raw = b"".join(chunks)[:RESPONSE_EXCERPT_BYTES]
    return raw.decode("utf-8", errors="replace")
