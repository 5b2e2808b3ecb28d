"""Use cases of the outgoing webhooks: endpoints, events, manual retries. Only ``flush()``.

Every function that a tenant reaches takes ``tenant_id`` and ``mode`` (``"test"`` | ``"live"``)
and sees only those rows: another tenant's (or the other mode's) id is "not found".

The payments core calls :func:`emit` in its own transaction::

    await webhooks.emit(session, tenant_id=payment.tenant_id, mode=payment.mode,
                        type="payment.completed", data=payment_view)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.jobs.service import enqueue
from kro.kit.cache import ReadCache
from kro.kit.clock import utcnow
from kro.kit.deferred import insert_later
from kro.kit.ids import new_id
from kro.webhooks.delivery import build_body
from kro.webhooks.errors import EventNotFound, WebhookEndpointDisabled, WebhookEndpointNotFound
from kro.webhooks.models import (
    Attempt,
    Delivery,
    DeliveryStatus,
    EndpointStatus,
    Event,
    WebhookEndpoint,
)
from kro.webhooks.policy import (
    ALL_EVENTS,
    EVENT_TYPES,
    REASON_MANUAL,
    TEST_EVENT,
    check_events,
    check_url,
    new_secret,
)

__all__ = [
    "DELIVER_JOB",
    "ENDPOINT_DISABLED_JOB",
    "EVENT_TYPES",
    "TEST_EVENT",
    "create_endpoint",
    "delete_endpoint",
    "emit",
    "find_endpoint",
    "get_endpoint",
    "get_event",
    "list_attempts",
    "list_deliveries",
    "list_endpoint_deliveries",
    "list_endpoints",
    "list_events",
    "retry_event",
    "rotate_secret",
    "send_test",
    "update_endpoint",
]

# Job names. ``webhooks.deliver`` payload: ``{"delivery_id", "attempt"}`` (1-based attempt
# number it makes). ``tenants.webhook_endpoint_disabled`` payload: ``{"endpoint_id",
# "tenant_id"}``, handled by ``kro.tenants.tasks`` (the tenant's owners are told).
DELIVER_JOB = "webhooks.deliver"
ENDPOINT_DISABLED_JOB = "tenants.webhook_endpoint_disabled"

MAX_PAGE = 100


class _Unset:
    """Marks a PATCH field the caller did not send (``None`` clears ``description``)."""


UNSET = _Unset()


# -- endpoints -------------------------------------------------------------------------------


async def create_endpoint(
    session: AsyncSession,
    *,
    tenant_id: str,
    mode: str,
    url: str,
    enabled_events: Sequence[str],
    description: str | None = None,
    allow_internal: bool = False,
) -> WebhookEndpoint:
    """A new enabled endpoint with a fresh secret (read it from ``.secret`` now: the API shows
    it only on create and rotate). 422 ``invalid_webhook_url`` / ``invalid_event_type``."""
    endpoint = WebhookEndpoint(
        tenant_id=tenant_id,
        mode=mode,
        url=check_url(url, mode, allow_internal=allow_internal),
        enabled_events=check_events(enabled_events),
        description=description,
        secret=new_secret(),
    )
    session.add(endpoint)
    await session.flush()
    endpoints_changed(session, tenant_id, mode)
    return endpoint


async def list_endpoints(
    session: AsyncSession, *, tenant_id: str, mode: str, limit: int = 50, before: str | None = None
) -> list[WebhookEndpoint]:
    """The tenant's endpoints of ``mode``, newest first; ``before`` is the cursor (an id).
    ``limit`` is clamped to 1..101 (callers ask one more than a page to know if more exist)."""
    stmt = (
        select(WebhookEndpoint)
        .where(*_endpoint_scope(tenant_id, mode))
        .order_by(WebhookEndpoint.id.desc())
        .limit(max(1, min(limit, MAX_PAGE + 1)))
    )
    if before is not None:
        stmt = stmt.where(WebhookEndpoint.id < before)
    return list((await session.execute(stmt)).scalars())


async def get_endpoint(
    session: AsyncSession, *, tenant_id: str, mode: str, endpoint_id: str, lock: bool = False
) -> WebhookEndpoint:
    """One of the tenant's endpoints of ``mode``; 404 ``webhook_endpoint_not_found`` for any
    other id (another tenant's, the other mode's, a deleted one)."""
    stmt = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, *_endpoint_scope(tenant_id, mode)
    )
    if lock:
        stmt = stmt.with_for_update()
    endpoint = (await session.execute(stmt)).scalar_one_or_none()
    if endpoint is None:
        raise WebhookEndpointNotFound(details={"id": endpoint_id})
    return endpoint


async def update_endpoint(
    session: AsyncSession,
    *,
    tenant_id: str,
    mode: str,
    endpoint_id: str,
    url: str | None = None,
    enabled_events: Sequence[str] | None = None,
    description: str | _Unset | None = UNSET,
    enabled: bool | None = None,
    allow_internal: bool = False,
) -> WebhookEndpoint:
    """Change the fields given. ``enabled=True`` re-enables a disabled endpoint and forgets its
    failures (``failing_since``); ``enabled=False`` disables it (reason ``manual``). 404; 422
    ``invalid_webhook_url`` / ``invalid_event_type``."""
    endpoint = await get_endpoint(
        session, tenant_id=tenant_id, mode=mode, endpoint_id=endpoint_id, lock=True
    )
    if url is not None:
        endpoint.url = check_url(url, mode, allow_internal=allow_internal)
    if enabled_events is not None:
        endpoint.enabled_events = check_events(enabled_events)
    if not isinstance(description, _Unset):
        endpoint.description = description
    if enabled is True and endpoint.status != EndpointStatus.ENABLED:
        endpoint.status = EndpointStatus.ENABLED.value
        endpoint.disabled_reason = endpoint.disabled_at = endpoint.failing_since = None
    elif enabled is False and endpoint.status != EndpointStatus.DISABLED:
        endpoint.status = EndpointStatus.DISABLED.value
        endpoint.disabled_reason, endpoint.disabled_at = REASON_MANUAL, utcnow()
    await session.flush()
    endpoints_changed(session, tenant_id, mode)
    return endpoint


async def delete_endpoint(
    session: AsyncSession, *, tenant_id: str, mode: str, endpoint_id: str
) -> WebhookEndpoint:
    """Delete an endpoint: hidden from now on, its pending deliveries fail when due (the rows
    stay for the events' history). 404."""
    endpoint = await get_endpoint(
        session, tenant_id=tenant_id, mode=mode, endpoint_id=endpoint_id, lock=True
    )
    endpoint.deleted_at = utcnow()
    await session.flush()
    endpoints_changed(session, tenant_id, mode)
    return endpoint


async def rotate_secret(
    session: AsyncSession, *, tenant_id: str, mode: str, endpoint_id: str, grace: timedelta
) -> WebhookEndpoint:
    """Give the endpoint a new secret (in ``.secret``, shown once). The old one keeps signing,
    as a second ``v1,`` signature, for ``grace`` (``KRO_WEBHOOK_SECRET_ROTATION_GRACE``,
    24 h). Rotating again within the grace drops the oldest secret. 404."""
    endpoint = await get_endpoint(
        session, tenant_id=tenant_id, mode=mode, endpoint_id=endpoint_id, lock=True
    )
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + grace
    endpoint.secret = new_secret()
    await session.flush()
    return endpoint


async def find_endpoint(session: AsyncSession, endpoint_id: str) -> WebhookEndpoint | None:
    """The endpoint ``endpoint_id`` whoever owns it, deleted included (for jobs, which carry
    ids; never for a tenant's request)."""
    return await session.get(WebhookEndpoint, endpoint_id)


def _endpoint_scope(tenant_id: str, mode: str) -> tuple[Any, ...]:
    return (
        WebhookEndpoint.tenant_id == tenant_id,
        WebhookEndpoint.mode == mode,
        WebhookEndpoint.deleted_at.is_(None),
    )


# -- events ----------------------------------------------------------------------------------


async def emit(
    session: AsyncSession, *, tenant_id: str, mode: str, type: str, data: dict[str, Any]
) -> Event:
    """Store the event ``type`` with ``data`` (plain JSON; amounts in minor units) and queue
    its delivery to every enabled endpoint of ``tenant_id`` and ``mode`` subscribed to it
    (or to ``"*"``), in the caller's transaction (transactional outbox). Returns the event as
    stored (not attached to ``session``).

    Every payment emits, so this is written with Core statements, not the ORM's unit of work:
    the subscriptions (cached, :data:`SUBSCRIPTIONS`), one insert of the event, and per
    subscribed endpoint one delivery and its first ``webhooks.deliver`` job. The event and
    deliveries are deferred writes (:mod:`kro.kit.deferred`): sent with the caller's own,
    in one statement on PostgreSQL when the transaction has done nothing else yet.

    ``type`` must be one of :data:`EVENT_TYPES`; anything else, or ``data`` that is not plain
    JSON, raises ``ValueError``/``TypeError`` (programming errors)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r}; see EVENT_TYPES")
    endpoint_ids = [
        endpoint_id
        for endpoint_id, events in await _subscriptions(session, tenant_id, mode)
        if ALL_EVENTS in events or type in events
    ]
    now = utcnow()
    event = {
        "id": new_id("ev"),
        "tenant_id": tenant_id,
        "mode": mode,
        "type": type,
        "message_id": new_id("msg"),
        "data": data,
        "body": build_body(type, now, data),
        "created_at": now,
    }
    await insert_later(session, _EVENTS, [event])  # with the caller's other writes
    for endpoint_id in endpoint_ids:
        delivery = {
            "id": new_id("dlv"),
            "event_id": event["id"],
            "endpoint_id": endpoint_id,
            "tenant_id": tenant_id,
            "mode": mode,
            "status": DeliveryStatus.PENDING.value,
            "attempt_count": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        await insert_later(session, _DELIVERIES, [delivery])
        await queue_attempt(session, Delivery(**delivery), number=1)
    return Event(**event)


# Built once, so that SQLAlchemy finds their compiled form in its cache at once.
_EVENTS = cast(Table, Event.__table__)
_DELIVERIES = cast(Table, Delivery.__table__)
_ENDPOINTS = cast(Table, WebhookEndpoint.__table__)
# Subscriptions are small JSON lists: filtered in Python, portable across SQLite and PostgreSQL.
_SUBSCRIPTIONS = (
    select(_ENDPOINTS.c.id, _ENDPOINTS.c.enabled_events)
    .where(
        _ENDPOINTS.c.tenant_id == bindparam("tenant_id"),
        _ENDPOINTS.c.mode == bindparam("mode"),
        _ENDPOINTS.c.deleted_at.is_(None),
        _ENDPOINTS.c.status == EndpointStatus.ENABLED.value,
    )
    .order_by(_ENDPOINTS.c.id)
)


SUBSCRIPTIONS_TTL = 5.0
SUBSCRIPTIONS: ReadCache[tuple[str, str], tuple[tuple[str, frozenset[str]], ...]] = ReadCache(
    "webhook_subscriptions", ttl=SUBSCRIPTIONS_TTL
)
"""A tenant's enabled endpoints in a mode and the events each takes, by ``(tenant_id, mode)``
(read on every payment otherwise). Forgotten by every change of an endpoint in this process
(:func:`endpoints_changed`); another process may go on for up to ``SUBSCRIPTIONS_TTL`` seconds
without a new endpoint (its first events are not sent there) or with a disabled or deleted one
(its deliveries are dropped when due: every attempt checks the endpoint again)."""
_CHANGED = "kro.webhooks.endpoints_changed"  # session.info: this transaction changed endpoints


def endpoints_changed(session: AsyncSession, tenant_id: str, mode: str) -> None:
    """Called by whatever changes the endpoints of ``tenant_id`` in ``mode`` in ``session``:
    the cached subscriptions are forgotten (now and at its commit), and ``session`` reads
    them afresh from now on, uncommitted changes included (which no cache may keep)."""
    SUBSCRIPTIONS.forget((tenant_id, mode), session)
    session.info[_CHANGED] = True


async def _subscriptions(
    session: AsyncSession, tenant_id: str, mode: str
) -> tuple[tuple[str, frozenset[str]], ...]:
    async def load() -> tuple[tuple[str, frozenset[str]], ...]:
        rows = await session.execute(_SUBSCRIPTIONS, {"tenant_id": tenant_id, "mode": mode})
        return tuple((row.id, frozenset(row.enabled_events)) for row in rows)

    if session.info.get(_CHANGED):
        return await load()
    return await SUBSCRIPTIONS.get((tenant_id, mode), load)


async def send_test(session: AsyncSession, *, tenant_id: str, mode: str, endpoint_id: str) -> Event:
    """Emit a ``webhook.test`` event to this endpoint only. 404; 409
    ``webhook_endpoint_disabled``."""
    endpoint = await get_endpoint(session, tenant_id=tenant_id, mode=mode, endpoint_id=endpoint_id)
    if endpoint.status != EndpointStatus.ENABLED:
        raise WebhookEndpointDisabled(details={"id": endpoint.id})
    data = {"endpoint_id": endpoint.id, "message": "A test event from KRO."}
    return await _store_and_queue(session, tenant_id, mode, TEST_EVENT, data, [endpoint])


async def _store_and_queue(
    session: AsyncSession,
    tenant_id: str,
    mode: str,
    event_type: str,
    data: dict[str, Any],
    endpoints: Sequence[WebhookEndpoint],
) -> Event:
    now = utcnow()
    event = Event(
        id=new_id("ev"),
        tenant_id=tenant_id,
        mode=mode,
        type=event_type,
        message_id=new_id("msg"),
        data=data,
        body=build_body(event_type, now, data),
        created_at=now,
    )
    session.add(event)
    for endpoint in endpoints:
        delivery = Delivery(
            event_id=event.id,
            endpoint_id=endpoint.id,
            tenant_id=tenant_id,
            mode=mode,
            next_attempt_at=now,
        )
        session.add(delivery)
        await session.flush()
        await queue_attempt(session, delivery, number=1)
    await session.flush()
    return event


async def queue_attempt(session: AsyncSession, delivery: Delivery, *, number: int) -> None:
    """Enqueue the ``webhooks.deliver`` job making attempt ``number``, due at
    ``delivery.next_attempt_at`` (now if unset)."""
    await enqueue(
        session,
        DELIVER_JOB,
        {"delivery_id": delivery.id, "attempt": number},
        run_at=delivery.next_attempt_at or utcnow(),
    )


async def list_events(
    session: AsyncSession,
    *,
    tenant_id: str,
    mode: str,
    type: str | None = None,
    limit: int = 50,
    before: str | None = None,
) -> list[Event]:
    """The tenant's events of ``mode`` (optionally of one ``type``), newest first; ``before``
    is the cursor (an id). ``limit`` is clamped to 1..101."""
    stmt = (
        select(Event)
        .where(Event.tenant_id == tenant_id, Event.mode == mode)
        .order_by(Event.id.desc())
        .limit(max(1, min(limit, MAX_PAGE + 1)))
    )
    if type is not None:
        stmt = stmt.where(Event.type == type)
    if before is not None:
        stmt = stmt.where(Event.id < before)
    return list((await session.execute(stmt)).scalars())


async def get_event(session: AsyncSession, *, tenant_id: str, mode: str, event_id: str) -> Event:
    """One of the tenant's events of ``mode``; 404 ``event_not_found`` for any other id."""
    stmt = select(Event).where(
        Event.id == event_id, Event.tenant_id == tenant_id, Event.mode == mode
    )
    event = (await session.execute(stmt)).scalar_one_or_none()
    if event is None:
        raise EventNotFound(details={"id": event_id})
    return event


async def list_deliveries(session: AsyncSession, event: Event) -> list[Delivery]:
    """The event's deliveries, one per endpoint, oldest first."""
    stmt = select(Delivery).where(Delivery.event_id == event.id).order_by(Delivery.id)
    return list((await session.execute(stmt)).scalars())


async def list_endpoint_deliveries(
    session: AsyncSession,
    *,
    tenant_id: str,
    mode: str,
    endpoint_id: str,
    limit: int = 50,
    before: str | None = None,
) -> list[tuple[Delivery, Event]]:
    """Deliveries to one of the tenant's endpoints of ``mode``, newest first, each with its
    event; ``before`` is the cursor (a delivery id). ``limit`` is clamped to 1..101. 404
    ``webhook_endpoint_not_found``."""
    endpoint = await get_endpoint(session, tenant_id=tenant_id, mode=mode, endpoint_id=endpoint_id)
    stmt = (
        select(Delivery, Event)
        .join(Event, Event.id == Delivery.event_id)
        .where(Delivery.endpoint_id == endpoint.id, Delivery.tenant_id == tenant_id)
        .order_by(Delivery.id.desc())
        .limit(max(1, min(limit, MAX_PAGE + 1)))
    )
    if before is not None:
        stmt = stmt.where(Delivery.id < before)
    return [(delivery, event) for delivery, event in (await session.execute(stmt)).all()]


async def list_attempts(
    session: AsyncSession,
    *,
    tenant_id: str,
    mode: str,
    event_id: str,
    endpoint_id: str | None = None,
    limit: int = 50,
    before: str | None = None,
) -> list[Attempt]:
    """The event's attempts (optionally to one endpoint), newest first; ``before`` is the
    cursor. 404 ``event_not_found``."""
    event = await get_event(session, tenant_id=tenant_id, mode=mode, event_id=event_id)
    stmt = (
        select(Attempt)
        .where(Attempt.event_id == event.id)
        .order_by(Attempt.id.desc())
        .limit(max(1, min(limit, MAX_PAGE + 1)))
    )
    if endpoint_id is not None:
        stmt = stmt.where(Attempt.endpoint_id == endpoint_id)
    if before is not None:
        stmt = stmt.where(Attempt.id < before)
    return list((await session.execute(stmt)).scalars())


async def retry_event(
    session: AsyncSession,
    *,
    tenant_id: str,
    mode: str,
    event_id: str,
    endpoint_id: str | None = None,
) -> list[Delivery]:
    """Deliver the event again now: to every enabled endpoint it was delivered to (whatever
    the outcome), or to ``endpoint_id`` only (which need not have received it before, e.g. an
    endpoint added later). The retry is one more attempt; a delivery that still had scheduled
    attempts left continues on the schedule if it fails, and a pending delivery's already
    scheduled attempt is superseded. 404 ``event_not_found`` / ``webhook_endpoint_not_found``;
    409 ``webhook_endpoint_disabled`` for a disabled ``endpoint_id``."""
    event = await get_event(session, tenant_id=tenant_id, mode=mode, event_id=event_id)
    if endpoint_id is not None:
        targets = [await _retry_target(session, event, endpoint_id)]
    else:
        targets = await _enabled_deliveries(session, event)
    now = utcnow()
    for delivery in targets:
        delivery.status = DeliveryStatus.PENDING.value
        delivery.next_attempt_at = now
        await session.flush()
        await queue_attempt(session, delivery, number=delivery.attempt_count + 1)
    return targets


async def _retry_target(session: AsyncSession, event: Event, endpoint_id: str) -> Delivery:
    endpoint = await get_endpoint(
        session, tenant_id=event.tenant_id, mode=event.mode, endpoint_id=endpoint_id
    )
    if endpoint.status != EndpointStatus.ENABLED:
        raise WebhookEndpointDisabled(details={"id": endpoint.id})
    stmt = select(Delivery).where(
        Delivery.event_id == event.id, Delivery.endpoint_id == endpoint.id
    )
    delivery = (await session.execute(stmt.with_for_update())).scalar_one_or_none()
    if delivery is None:
        delivery = Delivery(
            event_id=event.id, endpoint_id=endpoint.id, tenant_id=event.tenant_id, mode=event.mode
        )
        session.add(delivery)
        await session.flush()
    return delivery


async def _enabled_deliveries(session: AsyncSession, event: Event) -> list[Delivery]:
    stmt = (
        select(Delivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
        .where(
            Delivery.event_id == event.id,
            WebhookEndpoint.status == EndpointStatus.ENABLED.value,
            WebhookEndpoint.deleted_at.is_(None),
        )
        .order_by(Delivery.id)
        .with_for_update(of=Delivery)
    )
    return list((await session.execute(stmt)).scalars())


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    """``{status: n}`` over every outgoing delivery (operators' metrics)."""
    rows = await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return {str(status): int(n) for status, n in rows.all()}
