"""Webhooks as providers send them: stored, signed, delivered, retried (DESIGN.md section 7).

A delivery is a row of the simulator's own table with the columns ``id``, ``body`` (the exact
text sent on every attempt), ``status`` (``pending`` → ``delivered`` | ``failed``),
``attempt_count``, ``attempts`` (one ``{at, status_code, …, error}`` per try),
``next_attempt_at``, ``created_at`` and ``delivered_at``. :func:`add_due` stores one
(:func:`add_copy` a resent one, :func:`delivery_state` shows where it stands);
a :class:`DeliverySender` sends those that are due and records each attempt:

- a failed attempt (by the provider's rule, :meth:`DeliverySender.judge`; any timeout or
  connection error) is retried after ``schedule[n]`` seconds; after the last the delivery is
  ``failed``. Due times come from ``kro.kit.clock``.
- Claiming a batch pushes ``next_attempt_at`` past the attempt's timeout first, so two loops
  sharing a database do not send the same attempt twice; delivery stays at least once.

What is the provider's own — the URL, its signature headers, the schedule, what counts as
acknowledged, how it writes times — comes from the subclass.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import httpx
import structlog
from sqlalchemy import JSON, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import clock
from kro.kit.db import UTCDateTime, unit_of_work

BATCH = 20
D = TypeVar("D")


class DeliveryColumns:
    """The columns every delivery table has, after its own ``id`` and owner columns (a mixin
    for a :class:`~kro.sandbox.db.SandboxBase` model).

    ``status``: ``pending`` (due at ``next_attempt_at``) → ``delivered`` | ``failed``
    (schedule exhausted); ``attempts`` holds ``{at, status_code, …, error}`` per try;
    ``resent_from`` is the delivery a resend copied.
    """

    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[Any] = mapped_column(JSON, default=list)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    resent_from: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


async def add_due(session: AsyncSession, delivery: D) -> D:
    """Store a new ``delivery`` row as ``pending``, due now, with no attempts. Only flushes."""
    row: Any = delivery
    now = clock.now()
    row.status, row.attempt_count, row.attempts = "pending", 0, []
    row.next_attempt_at = row.created_at = now
    session.add(row)
    await session.flush()
    return delivery


async def add_copy(session: AsyncSession, original: D, *columns: str) -> D:
    """Store a new delivery of ``original``'s exact ``body`` (the provider's "resend": a
    duplicate for the receiver), copying its ``columns`` and marked ``resent_from`` it; due
    now. Only flushes."""
    row: Any = original
    model: Any = type(original)
    fields = {name: getattr(row, name) for name in columns}
    copy: D = model(**fields, body=row.body, resent_from=row.id)
    return await add_due(session, copy)


def _isoformat(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def delivery_state(
    delivery: Any, stamp: Callable[[datetime | None], str | None] = _isoformat
) -> dict[str, Any]:
    """Where ``delivery`` stands, as a control endpoint lists it: ``status``,
    ``attempt_count``, ``attempts``, ``next_attempt_at`` (while pending), ``resent_from``,
    ``created_at`` and ``delivered_at``, times written by ``stamp`` (default ISO 8601)."""
    pending = delivery.status == "pending"
    return {
        "status": delivery.status,
        "attempt_count": delivery.attempt_count,
        "attempts": delivery.attempts,
        "next_attempt_at": stamp(delivery.next_attempt_at) if pending else None,
        "resent_from": delivery.resent_from,
        "created_at": stamp(delivery.created_at),
        "delivered_at": stamp(delivery.delivered_at),
    }


@dataclass(frozen=True)
class Outcome:
    """One attempt: HTTP ``status_code`` (None if no answer), ``error`` (why there was none),
    whether the receiver ``acknowledged`` it, and ``extra`` fields the provider records."""

    status_code: int | None
    error: str | None = None
    acknowledged: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Claimed:
    id: int
    body: str
    headers: dict[str, str]


class DeliverySender(ABC):
    """Sends due rows of ``model`` to :attr:`url` and records each attempt.

    A subclass names its ``model``, its log ``event`` (``paystack_webhook_attempt``) and the
    ``extra_fields`` its attempts carry besides ``status_code`` and ``error``, and says where
    and how: :attr:`url`, :attr:`timeout`, :attr:`schedule`, :meth:`headers` (the signature),
    and optionally :meth:`judge`, :meth:`describe` and :meth:`stamp`.
    """

    model: ClassVar[type[Any]]
    event: ClassVar[str]
    extra_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], http: httpx.AsyncClient, log_name: str
    ) -> None:
        self.sessions = sessions
        self.http = http
        self._log = structlog.get_logger(log_name)

    @property
    @abstractmethod
    def url(self) -> str:
        """Where deliveries go; empty: nowhere (nothing is attempted)."""

    @property
    @abstractmethod
    def timeout(self) -> float:
        """Seconds an attempt may take."""

    @property
    @abstractmethod
    def schedule(self) -> Sequence[float]:
        """Seconds before each retry; its length is the number of retries."""

    @abstractmethod
    def headers(self, row: Any) -> dict[str, str]:
        """The request headers of ``row``'s attempts (content type, signature, user agent)."""

    def judge(self, response: httpx.Response) -> Outcome:
        """What an answer means; by default any 2xx acknowledges."""
        status = response.status_code
        return Outcome(status, acknowledged=200 <= status < 300)

    def describe(self, row: Any) -> dict[str, Any]:
        """Fields naming ``row`` in the attempt's log line."""
        return {"delivery": row.id, "webhook_event": row.event}

    def stamp(self, when: datetime) -> str | None:
        """An attempt's ``at`` as the provider writes times."""
        return when.isoformat()

    async def deliver_due(self) -> int:
        """Send every due delivery once; return how many were attempted."""
        if not self.url:
            return 0
        claimed = await self._claim()
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._send(c) for c in claimed))
        await self._record(claimed, outcomes)
        return len(claimed)

    async def _claim(self) -> list[_Claimed]:
        model = self.model
        now = clock.now()
        lease = now + timedelta(seconds=self.timeout + 5)
        async with unit_of_work(self.sessions) as session:
            rows: Sequence[Any] = (
                await session.scalars(
                    select(model)
                    .where(model.status == "pending")
                    .where(model.next_attempt_at <= now)
                    .order_by(model.next_attempt_at, model.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                row.next_attempt_at = lease
            return [_Claimed(r.id, r.body, self.headers(r)) for r in rows]

    async def _send(self, claimed: _Claimed) -> Outcome:
        try:
            response = await self.http.post(
                self.url,
                content=claimed.body.encode(),
                headers=claimed.headers,
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            return Outcome(None, error=f"{type(exc).__name__}: {exc}"[:300])
        return self.judge(response)

    async def _record(self, claimed: list[_Claimed], outcomes: list[Outcome]) -> None:
        now = clock.now()
        schedule = self.schedule
        async with unit_of_work(self.sessions) as session:
            for item, outcome in zip(claimed, outcomes, strict=True):
                row = await session.get(self.model, item.id)
                if row is None or row.status != "pending":
                    continue
                extra = {name: outcome.extra.get(name) for name in self.extra_fields}
                row.attempt_count += 1
                row.attempts = [
                    *row.attempts,
                    {
                        "at": self.stamp(now),
                        "status_code": outcome.status_code,
                        **extra,
                        "error": outcome.error,
                    },
                ]
                if outcome.acknowledged:
                    row.status, row.delivered_at = "delivered", now
                elif row.attempt_count <= len(schedule):
                    row.next_attempt_at = now + timedelta(seconds=schedule[row.attempt_count - 1])
                else:
                    row.status = "failed"
                self._log.info(
                    self.event,
                    **self.describe(row),
                    status_code=outcome.status_code,
                    **extra,
                    error=outcome.error,
                    outcome=row.status,
                )


class WebhookConfig(Protocol):
    """What a simulator's configuration says about its webhooks."""

    @property
    def webhook_url(self) -> str: ...

    @property
    def webhook_timeout(self) -> float: ...

    @property
    def webhook_retry_schedule(self) -> Sequence[float]: ...


C = TypeVar("C", bound=WebhookConfig)


class ConfiguredSender(DeliverySender, Generic[C]):
    """A :class:`DeliverySender` whose URL, timeout and retry schedule are its simulator's
    ``config.webhook_url``, ``webhook_timeout`` and ``webhook_retry_schedule``; a subclass
    names ``log_name`` and says how it signs (:meth:`headers`)."""

    log_name: ClassVar[str]

    def __init__(
        self, config: C, sessions: async_sessionmaker[AsyncSession], http: httpx.AsyncClient
    ) -> None:
        super().__init__(sessions, http, self.log_name)
        self.config = config

    @property
    def url(self) -> str:
        return self.config.webhook_url

    @property
    def timeout(self) -> float:
        return self.config.webhook_timeout

    @property
    def schedule(self) -> Sequence[float]:
        return self.config.webhook_retry_schedule
