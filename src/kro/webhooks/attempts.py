"""The job side of a delivery: plan one attempt, then record its outcome. Only ``flush()``.

The ``webhooks.deliver`` handler (``kro.webhooks.tasks``) runs in three steps so that no
database transaction (on SQLite, the one write lock) is held while a receiver answers:

1. :func:`plan` in its own short transaction: is attempt ``number`` still due, and what to
   send (URL, message id, exact body, the secrets that sign it now);
2. :func:`kro.webhooks.delivery.send` — the HTTP call, no transaction open;
3. :func:`record` in the job's transaction: the attempt row, the delivery's new state, the
   endpoint's health, and the next attempt's job (or the disabling and its notice).

A job carries the attempt number it makes; if the delivery has moved on (another job made that
attempt, e.g. a manual retry), the job does nothing, so running a job twice sends once more
at most and changes no state twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from kro.jobs.service import enqueue
from kro.webhooks.delivery import GONE, Message, Outcome, next_attempt_delay
from kro.webhooks.models import (
    Attempt,
    Delivery,
    DeliveryStatus,
    EndpointStatus,
    Event,
    WebhookEndpoint,
)
from kro.webhooks.policy import REASON_FAILING, REASON_GONE
from kro.webhooks.service import ENDPOINT_DISABLED_JOB, endpoints_changed, queue_attempt

log = structlog.get_logger("kro.webhooks")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Plan:
    """Attempt ``number`` of ``delivery_id``: send ``message``, or, when ``blocked`` says why
    (the endpoint was disabled or deleted), give the delivery up without sending."""

    delivery_id: str
    endpoint_id: str
    number: int
    url: str
    message: Message | None
    blocked: str | None = None


async def plan(session: AsyncSession, delivery_id: str, number: int, now: datetime) -> Plan | None:
    """What attempt ``number`` sends; ``None`` if it is not due any more (delivery settled, or
    another job already made this attempt) or its rows are gone."""
    delivery = await session.get(Delivery, delivery_id)
    if (
        delivery is None
        or delivery.status != DeliveryStatus.PENDING
        or delivery.attempt_count != number - 1
    ):
        return None
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    event = await session.get(Event, delivery.event_id)
    if endpoint is None or event is None:
        return None
    blocked = None
    if endpoint.deleted_at is not None:
        blocked = "endpoint deleted"
    elif endpoint.status != EndpointStatus.ENABLED:
        blocked = "endpoint disabled"
    message = (
        Message(endpoint.url, event.message_id, event.body, signing_secrets(endpoint, now))
        if blocked is None
        else None
    )
    return Plan(delivery.id, endpoint.id, number, endpoint.url, message, blocked)


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    """The current secret, and the previous one while its rotation grace lasts."""
    previous = endpoint.previous_secret
    expires = endpoint.previous_secret_expires_at
    if previous and expires is not None and expires > now:
        return (endpoint.secret, previous)
    return (endpoint.secret,)


async def give_up(session: AsyncSession, plan: Plan) -> None:
    """The endpoint is disabled or deleted: the delivery fails without an attempt."""
    delivery = await _locked(session, Delivery, plan.delivery_id)
    if delivery is None or not _still_due(delivery, plan.number):
        return
    delivery.status = DeliveryStatus.FAILED.value
    delivery.next_attempt_at = None
    delivery.last_error = plan.blocked
    await session.flush()


async def record(
    session: AsyncSession, plan: Plan, outcome: Outcome, *, now: datetime, disable_after: timedelta
) -> Delivery | None:
    """Store the attempt and act on it.

    - 2xx: delivery ``succeeded``; the endpoint is healthy again (``failing_since`` cleared).
    - 410: delivery ``failed`` and the endpoint disabled (``gone``), owners notified.
    - otherwise: the endpoint is failing since its first failure; failing for
      ``disable_after`` (5 days) disables it (``failing``, owners notified) and fails the
      delivery; else the next attempt is queued on the schedule (``Retry-After`` honoured),
      or the delivery fails after the last one.
    """
    delivery = await _locked(session, Delivery, plan.delivery_id)
    endpoint = await _locked(session, WebhookEndpoint, plan.endpoint_id)
    if delivery is None or endpoint is None:
        return None
    session.add(_attempt_row(delivery, plan, outcome, now))
    _update_health(endpoint, outcome, now)
    if not _still_due(delivery, plan.number):  # another job made this attempt meanwhile
        await session.flush()
        return delivery
    delivery.attempt_count = plan.number
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    if outcome.succeeded:
        _settle(delivery, DeliveryStatus.SUCCEEDED)
    elif outcome.status_code == GONE:
        _settle(delivery, DeliveryStatus.FAILED)
        await disable(session, endpoint, REASON_GONE, now)
    elif endpoint.failing_since is not None and now - endpoint.failing_since >= disable_after:
        _settle(delivery, DeliveryStatus.FAILED)
        await disable(session, endpoint, REASON_FAILING, now)
    else:
        await _schedule_next(session, delivery, outcome, now)
    await session.flush()
    return delivery


async def disable(
    session: AsyncSession, endpoint: WebhookEndpoint, reason: str, now: datetime
) -> None:
    """Disable an enabled endpoint automatically and queue the notice to the tenant's owners
    (``tenants.webhook_endpoint_disabled``). No-op if it is already disabled."""
    if endpoint.status != EndpointStatus.ENABLED:
        return
    endpoint.status = EndpointStatus.DISABLED.value
    endpoint.disabled_reason, endpoint.disabled_at = reason, now
    await session.flush()
    endpoints_changed(session, endpoint.tenant_id, endpoint.mode)
    await enqueue(
        session,
        ENDPOINT_DISABLED_JOB,
        {"endpoint_id": endpoint.id, "tenant_id": endpoint.tenant_id},
        dedupe_key=f"{ENDPOINT_DISABLED_JOB}:{endpoint.id}:{now.isoformat()}",
    )
    log.warning("webhook_endpoint_disabled", endpoint_id=endpoint.id, reason=reason)


def _attempt_row(delivery: Delivery, plan: Plan, outcome: Outcome, now: datetime) -> Attempt:
    return Attempt(
        delivery_id=delivery.id,
        event_id=delivery.event_id,
        endpoint_id=delivery.endpoint_id,
        number=plan.number,
        url=plan.url,
        status_code=outcome.status_code,
        response_body=outcome.response_body,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
        succeeded=outcome.succeeded,
        created_at=now,
    )


def _update_health(endpoint: WebhookEndpoint, outcome: Outcome, now: datetime) -> None:
    if outcome.succeeded:
        endpoint.failing_since = None
    elif endpoint.failing_since is None:
        endpoint.failing_since = now


def _still_due(delivery: Delivery, number: int) -> bool:
    return delivery.status == DeliveryStatus.PENDING and delivery.attempt_count == number - 1


def _settle(delivery: Delivery, status: DeliveryStatus) -> None:
    delivery.status = status.value
    delivery.next_attempt_at = None


async def _schedule_next(
    session: AsyncSession, delivery: Delivery, outcome: Outcome, now: datetime
) -> None:
    delay = next_attempt_delay(
        delivery.attempt_count, outcome.status_code, outcome.retry_after, now
    )
    if delay is None:
        _settle(delivery, DeliveryStatus.FAILED)
        return
    delivery.next_attempt_at = now + delay
    await session.flush()
    await queue_attempt(session, delivery, number=delivery.attempt_count + 1)


async def _locked(session: AsyncSession, model: type[T], row_id: str) -> T | None:
    return await session.get(model, row_id, with_for_update=True, populate_existing=True)
