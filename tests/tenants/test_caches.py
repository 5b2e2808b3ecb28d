"""The merchant API's in-process caches (kro.kit.cache): API keys and routing. A change made
through this process applies at once; one made behind its back (another process) within the
cache's TTL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.identity import api_keys
from kro.identity.models import ApiKey
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.payments import provider_configs
from kro.payments.models import RoutingRule
from tests.support.api import data, error, register_and_login
from tests.tenants.conftest import create_tenant, new_key

PAYMENT = {"amount": 500_000, "currency": "NGN", "customer": {"email": "ada@example.com"}}


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    api_keys.KEYS.clear()
    provider_configs.ROUTING.clear()
    yield
    api_keys.KEYS.clear()
    provider_configs.ROUTING.clear()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_a_revoked_key_is_refused_at_once_by_the_process_that_revoked_it(
    client: httpx.AsyncClient,
) -> None:
    owner = await register_and_login(client, "owner@example.com")
    tenant = await create_tenant(client, owner, "Shop")
    key = await new_key(client, tenant, owner)
    data(await client.get("/v1/tenant", headers=bearer(key["secret"])))
    assert api_keys.KEYS.peek(api_keys.cache_key(key["secret"])) is not None  # cached

    data(await client.delete(f"/v1/tenants/{tenant}/api-keys/{key['id']}", headers=owner))
    error(await client.get("/v1/tenant", headers=bearer(key["secret"])), 401, "invalid_api_key")


async def test_a_key_revoked_behind_the_process_s_back_is_refused_once_its_entry_expires(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Another server process revoked it: this one keeps its cached entry for at most
    KEY_CACHE_TTL seconds (what the TTL bounds), then reads the key again."""
    owner = await register_and_login(client, "owner@example.com")
    tenant = await create_tenant(client, owner, "Shop")
    key = await new_key(client, tenant, owner)
    data(await client.get("/v1/tenant", headers=bearer(key["secret"])))
    async with unit_of_work(sessions) as s:
        await s.execute(update(ApiKey).where(ApiKey.id == key["id"]).values(revoked_at=utcnow()))

    data(await client.get("/v1/tenant", headers=bearer(key["secret"])))  # still cached
    api_keys.KEYS.clear()  # as after KEY_CACHE_TTL seconds
    error(await client.get("/v1/tenant", headers=bearer(key["secret"])), 401, "invalid_api_key")


async def test_a_rotated_key_s_grace_ends_even_while_it_is_cached(
    client: httpx.AsyncClient,
) -> None:
    from kro.kit.clock import clock

    owner = await register_and_login(client, "owner@example.com")
    tenant = await create_tenant(client, owner, "Shop")
    old = await new_key(client, tenant, owner)
    data(await client.post(f"/v1/tenants/{tenant}/api-keys/{old['id']}/rotate", headers=owner), 201)
    data(await client.get("/v1/tenant", headers=bearer(old["secret"])))  # cached, in its grace
    clock.advance(timedelta(hours=24, seconds=1))
    error(await client.get("/v1/tenant", headers=bearer(old["secret"])), 401, "invalid_api_key")


async def test_disabling_a_provider_applies_to_the_next_payment_at_once(
    client: httpx.AsyncClient,
) -> None:
    owner = await register_and_login(client, "owner@example.com")
    tenant = await create_tenant(client, owner, "Shop")
    key = bearer((await new_key(client, tenant, owner))["secret"])
    config = {"provider": "paystack", "mode": "test", "currencies": ["NGN"]}
    r = await client.post(f"/v1/tenants/{tenant}/provider-configs", json=config, headers=owner)
    config_id = data(r, 201)["id"]
    # Read (and cached) by a payment no configuration takes: no provider is called.
    r = await client.post("/v1/payments", json={**PAYMENT, "currency": "GHS"}, headers=key)
    error(r, 422, "no_provider_available")
    assert provider_configs.ROUTING.peek((tenant, "test")) is not None

    r = await client.patch(
        f"/v1/tenants/{tenant}/provider-configs/{config_id}", json={"enabled": False}, headers=owner
    )
    data(r)
    # A stale cache would route this to Paystack (whose sandbox is not running here).
    error(
        await client.post("/v1/payments", json=PAYMENT, headers=key), 422, "no_provider_available"
    )


async def test_a_routing_rule_created_or_deleted_applies_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tenant = "ten_routing"
    snapshot = await provider_configs.routing_snapshot(sessions, tenant, "test")
    assert snapshot.rules == ()
    async with unit_of_work(sessions) as s:
        rule = RoutingRule(tenant_id=tenant, mode="test", priority=1, providers=["flutterwave"])
        rule = await provider_configs.create_rule(s, rule, actor_id="usr_1", ip=None)
        rule_id = rule.id
    snapshot = await provider_configs.routing_snapshot(sessions, tenant, "test")
    assert [r.id for r in snapshot.rules] == [rule_id]
    assert (await provider_configs.routing_snapshot(sessions, tenant, "test")) is snapshot  # kept

    async with unit_of_work(sessions) as s:
        await provider_configs.delete_rule(
            s, tenant_id=tenant, rule_id=rule_id, actor_id="usr_1", ip=None
        )
    assert (await provider_configs.routing_snapshot(sessions, tenant, "test")).rules == ()
    # The other mode was never touched.
    assert (await provider_configs.routing_snapshot(sessions, tenant, "live")).rules == ()
