"""The subscriptions cache of :func:`kro.webhooks.service.emit`, on each backend."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.db import unit_of_work
from kro.webhooks import service
from kro.webhooks.models import Delivery
from tests.webhooks.conftest import Receiver, emit, new_endpoint, rows


async def test_subscriptions_are_cached_and_forgotten_by_every_change(
    sessions: async_sessionmaker[AsyncSession], receiver: Receiver
) -> None:
    """Each payment's emit reads the tenant's subscriptions from a cache; creating, disabling
    or deleting an endpoint forgets them at once, and a transaction that changed endpoints
    reads its own changes without leaving them in the cache if it rolls back."""
    await emit(sessions)  # no endpoint yet: nothing to deliver, and "none" is cached
    assert await rows(sessions, Delivery) == []
    assert service.SUBSCRIPTIONS.peek(("ten_a", "test")) == ()
    first = await new_endpoint(sessions, receiver.url)
    await emit(sessions)
    assert [d.endpoint_id for d in await rows(sessions, Delivery)] == [first.id]

    async with sessions() as s:  # a second endpoint and an event, then a rollback
        second = await service.create_endpoint(
            s, tenant_id="ten_a", mode="test", url=receiver.url, enabled_events=["*"],
            allow_internal=True,
        )  # fmt: skip
        await service.emit(s, tenant_id="ten_a", mode="test", type="payment.completed",
                           data={"id": "pay_2"})  # fmt: skip
        delivered_to = {d.endpoint_id for d in (await s.execute(select(Delivery))).scalars()}
        assert second.id in delivered_to  # its own uncommitted endpoint
        await s.rollback()
    await emit(sessions)  # the rolled-back endpoint was not kept by the cache
    assert [d.endpoint_id for d in await rows(sessions, Delivery)] == [first.id, first.id]

    async with unit_of_work(sessions) as s:
        await service.update_endpoint(
            s, tenant_id="ten_a", mode="test", endpoint_id=first.id, enabled=False
        )
    await emit(sessions)
    assert len(await rows(sessions, Delivery)) == 2  # disabled: nothing new
