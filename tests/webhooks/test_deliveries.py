"""Deliveries through the outbox to a real HTTP receiver: signatures, retries, 410, throttling,
rotation, five days of failure, stale jobs. The clock is moved, never mocked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from kro.kit.clock import clock, utcnow
from kro.kit.db import unit_of_work
from kro.notifications.models import Notification
from kro.settings import Settings
from kro.webhooks import service
from kro.webhooks.models import Delivery, Event
from tests.support.api import register_and_login
from tests.tenants.conftest import create_tenant
from tests.webhooks.conftest import (
    Receiver,
    Reply,
    attempts_of,
    delivery_of,
    emit,
    endpoint,
    jobs_named,
    new_endpoint,
    rows,
    run_jobs,
)


async def test_a_delivery_is_signed_per_standard_webhooks(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, receiver: Receiver
) -> None:
    ep = await new_endpoint(sessions, receiver.url, events=("payment.completed",))
    other = await new_endpoint(sessions, receiver.url, events=("refund.completed",))
    event_id = await emit(sessions, data={"id": "pay_9", "amount": 1_250_000, "currency": "NGN"})

    assert await run_jobs(sessions, settings) == 1
    [got] = receiver.received()
    payload = Webhook(ep.secret).verify(got.body, got.headers)
    assert payload["type"] == "payment.completed"
    assert payload["data"] == {"id": "pay_9", "amount": 1_250_000, "currency": "NGN"}
    [event] = await rows(sessions, Event, id=event_id)
    assert got.headers["webhook-id"] == event.message_id and event.message_id.startswith("msg_")
    assert got.body.decode() == event.body
    assert got.headers["content-type"] == "application/json"
    assert abs(int(got.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 60

    delivery = await delivery_of(sessions, event_id)
    assert (delivery.endpoint_id, delivery.status, delivery.attempt_count) == (
        ep.id,
        "succeeded",
        1,
    )
    [attempt] = await attempts_of(sessions, event_id)
    assert (attempt.status_code, attempt.succeeded, attempt.response_body) == (200, True, "ok")
    assert await rows(sessions, Delivery, endpoint_id=other.id) == []  # not subscribed


async def test_a_5xx_is_retried_on_the_schedule_with_the_same_bytes(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, receiver: Receiver
) -> None:
    ep = await new_endpoint(sessions, receiver.url)
    receiver.script(Reply(500, body="boom"))
    event_id = await emit(sessions)

    assert await run_jobs(sessions, settings) == 1
    delivery = await delivery_of(sessions, event_id)
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == (
        "pending",
        1,
        500,
    )
    assert delivery.next_attempt_at is not None
    wait = delivery.next_attempt_at - utcnow()
    assert timedelta(seconds=4) < wait <= timedelta(seconds=5.5)
    assert (await endpoint(sessions, ep.id)).failing_since is not None
    assert await run_jobs(sessions, settings) == 0  # not due yet: no sleeping in the worker

    clock.advance(timedelta(seconds=6))
    assert await run_jobs(sessions, settings) == 1
    delivery = await delivery_of(sessions, event_id)
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 2)
    first, second = receiver.received()
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    attempts = await attempts_of(sessions, event_id)
    assert [(a.number, a.status_code, a.response_body) for a in attempts] == [
        (1, 500, "boom"),
        (2, 200, "ok"),
    ]
    assert (await endpoint(sessions, ep.id)).failing_since is None


async def test_410_gone_disables_the_endpoint_without_retrying(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, receiver: Receiver
) -> None:
    ep = await new_endpoint(sessions, receiver.url)
    receiver.script(Reply(410))
    event_id = await emit(sessions)
    await run_jobs(sessions, settings)

    delivery = await delivery_of(sessions, event_id)
    assert (delivery.status, delivery.attempt_count) == ("failed", 1)
    disabled = await endpoint(sessions, ep.id)
    assert (disabled.status, disabled.disabled_reason) == ("disabled", "gone")
    [notice] = await jobs_named(sessions, service.ENDPOINT_DISABLED_JOB)
    assert notice.payload == {"endpoint_id": ep.id, "tenant_id": "ten_a"}
    assert len(await jobs_named(sessions, service.DELIVER_JOB)) == 1  # no retry queued

    later = await emit(sessions)
    assert await rows(sessions, Delivery, event_id=later) == []  # disabled: nothing sent
    clock.advance(timedelta(days=1))
    await run_jobs(sessions, settings)
    assert len(receiver.received()) == 1


async def test_429_retry_after_is_honoured(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, receiver: Receiver
) -> None:
    await new_endpoint(sessions, receiver.url)
    receiver.script(Reply(429, headers={"Retry-After": "120"}))
    event_id = await emit(sessions)
    await run_jobs(sessions, settings)

    delivery = await delivery_of(sessions, event_id)
    assert delivery.next_attempt_at is not None
    assert timedelta(seconds=115) < delivery.next_attempt_at - utcnow() <= timedelta(seconds=120)
    clock.advance(timedelta(seconds=60))  # past the schedule's 5 s, before Retry-After
    assert await run_jobs(sessions, settings) == 0
    clock.advance(timedelta(seconds=61))
    assert await run_jobs(sessions, settings) == 1
    assert (await delivery_of(sessions, event_id)).status == "succeeded"


async def test_a_timeout_is_a_failed_attempt(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, receiver: Receiver
) -> None:
    settings = settings.model_copy(update={"webhook_timeout": 0.5})
    await new_endpoint(sessions, receiver.url)
    receiver.script(Reply(200, delay=3))
    event_id = await emit(sessions)
    await run_jobs(sessions, settings)

    [attempt] = await attempts_of(sessions, event_id)
    assert attempt.status_code is None and attempt.error == "timed out after 0.5 s"
    assert attempt.duration_ms < 2500
    assert (await delivery_of(sessions, event_id)).status == "pending"


async def test_the_last_attempt_fails_the_delivery(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, receiver: Receiver
) -> None:
    settings = settings.model_copy(update={"webhook_disable_after": 30 * 24 * 3600})
    receiver.default = Reply(503)
    await new_endpoint(sessions, receiver.url)
    event_id = await emit(sessions)
    for _ in range(12):
        await run_jobs(sessions, settings)
        clock.advance(timedelta(hours=27))
    delivery = await delivery_of(sessions, event_id)
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == (
        "failed",
        10,
        None,
    )
    assert len(receiver.received()) == 10


async def test_rotation_signs_with_both_secrets_during_the_grace_period(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, receiver: Receiver
) -> None:
    ep = await new_endpoint(sessions, receiver.url)
    async with unit_of_work(sessions) as s:
        rotated = await service.rotate_secret(
            s, tenant_id="ten_a", mode="test", endpoint_id=ep.id, grace=timedelta(hours=24)
        )
    assert rotated.secret != ep.secret
    await emit(sessions)
    await run_jobs(sessions, settings)
    [got] = receiver.received()
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (ep.secret, rotated.secret):
        Webhook(secret).verify(got.body, got.headers)

    clock.advance(timedelta(hours=25))  # grace over: the new secret only
    await emit(sessions)
    await run_jobs(sessions, settings)
    last = receiver.received()[-1]
    at = datetime.fromtimestamp(int(last.headers["webhook-timestamp"]), UTC)
    expected = Webhook(rotated.secret).sign(last.headers["webhook-id"], at, last.body.decode())
    assert last.headers["webhook-signature"] == expected


async def test_five_days_of_failure_disable_the_endpoint_and_tell_the_owners(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    receiver: Receiver,
) -> None:
    owner = await register_and_login(client, "owner@shop.example.com", name="Ada Owner")
    tenant_id = await create_tenant(client, owner, "Shop Ltd")
    receiver.default = Reply(500)
    ep = await new_endpoint(sessions, receiver.url, tenant_id=tenant_id)
    await emit(sessions, tenant_id=tenant_id)
    await run_jobs(sessions, settings)
    failing_since = (await endpoint(sessions, ep.id)).failing_since
    assert failing_since is not None

    clock.advance(timedelta(days=4, hours=23))
    await emit(sessions, tenant_id=tenant_id)
    await run_jobs(sessions, settings)
    still = await endpoint(sessions, ep.id)
    assert still.status == "enabled" and still.failing_since == failing_since

    clock.advance(timedelta(hours=2))
    await emit(sessions, tenant_id=tenant_id)
    await run_jobs(sessions, settings)
    disabled = await endpoint(sessions, ep.id)
    assert (disabled.status, disabled.disabled_reason) == ("disabled", "failing")
    [notice_job] = await jobs_named(sessions, service.ENDPOINT_DISABLED_JOB)
    assert notice_job.status == "done"
    [mail] = await rows(sessions, Notification, event="tenants.webhook_endpoint_disabled")
    assert mail.channel == "email" and mail.address == "owner@shop.example.com"
    assert mail.context["endpoint_url"] == receiver.url
    assert mail.context["tenant_name"] == "Shop Ltd"


async def test_a_stale_job_does_not_send_twice(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, receiver: Receiver
) -> None:
    await new_endpoint(sessions, receiver.url)
    receiver.script(Reply(500))
    event_id = await emit(sessions)
    await run_jobs(sessions, settings)  # attempt 1 fails; attempt 2 is queued for +5 s
    async with unit_of_work(sessions) as s:  # a manual retry now also queues attempt 2
        await service.retry_event(s, tenant_id="ten_a", mode="test", event_id=event_id)
    assert await run_jobs(sessions, settings) == 1
    clock.advance(timedelta(seconds=10))
    assert await run_jobs(sessions, settings) == 1  # the scheduled job: stale, does nothing
    assert len(receiver.received()) == 2
    delivery = await delivery_of(sessions, event_id)
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 2)


async def test_the_signature_time_is_the_wall_clock_when_the_business_clock_moved(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, receiver: Receiver
) -> None:
    """A development server's clock moved ahead (timers simulated) still signs at the real
    time, which receivers compare with their own clocks (Standard Webhooks' tolerance)."""
    ep = await new_endpoint(sessions, receiver.url, events=("payment.completed",))
    clock.advance(timedelta(days=3))
    await emit(sessions, data={"id": "pay_10"})
    assert await run_jobs(sessions, settings) == 1
    [got] = receiver.received()
    assert Webhook(ep.secret).verify(got.body, got.headers)["data"] == {"id": "pay_10"}
    assert abs(int(got.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 60
