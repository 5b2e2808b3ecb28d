"""Idempotency-Key on the tenant POSTs (in-process, SQLite and PostgreSQL): replay byte for
byte, errors included; 422 for other parameters; 409 while running; per-caller scope; 24 h."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.idempotency import service
from kro.kit.clock import clock, utcnow
from kro.kit.idempotency import fingerprint
from tests.idempotency.app import FAILURES
from tests.idempotency.conftest import tenant_count
from tests.support.api import data, error, register_and_login
from tests.tenants.conftest import create_tenant, join, new_key

POLICY = service.Policy(ttl=timedelta(hours=24), lock_timeout=timedelta(seconds=120))


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def test_the_first_response_is_replayed_byte_for_byte(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice = await register_and_login(client, "alice@example.com")
    first = await client.post("/v1/tenants", json={"name": "Acme"}, headers=alice | key("k1"))
    data(first, 201)
    assert "idempotent-replayed" not in first.headers
    again = await client.post("/v1/tenants", json={"name": "Acme"}, headers=alice | key("k1"))
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert await tenant_count(sessions) == 1

    # Other parameters under the same key: 422, nothing created.
    other = await client.post("/v1/tenants", json={"name": "Other"}, headers=alice | key("k1"))
    error(other, 422, "idempotency_key_reused")
    # Another caller's identical key is theirs alone; no key at all means no idempotency.
    bob = await register_and_login(client, "bob@example.com")
    data(await client.post("/v1/tenants", json={"name": "Acme"}, headers=bob | key("k1")), 201)
    for _ in range(2):
        data(await client.post("/v1/tenants", json={"name": "Acme"}, headers=alice), 201)
    assert await tenant_count(sessions) == 4
    error(
        await client.post("/v1/tenants", json={"name": "A"}, headers=alice | key("x" * 256)),
        422,
        "invalid_idempotency_key",
    )


async def test_errors_are_stored_and_replayed_too(client: httpx.AsyncClient) -> None:
    owner = await register_and_login(client, "owner@example.com")
    tenant = await create_tenant(client, owner, "Shop")
    dev = await join(client, tenant, owner, "dev@example.com", "developer")
    body = {"mode": "live"}
    path = f"/v1/tenants/{tenant}/api-keys"
    refused = await client.post(path, json=body, headers=dev | key("live-1"))
    error(refused, 403, "insufficient_role")

    members = data(await client.get(f"/v1/tenants/{tenant}/members", headers=owner))
    dev_id = next(m["id"] for m in members if m["role"] == "developer")
    r = await client.patch(
        f"/v1/tenants/{tenant}/members/{dev_id}", json={"role": "admin"}, headers=owner
    )
    data(r)
    # Now allowed, but the key's first answer stands (Stripe: errors included).
    replay = await client.post(path, json=body, headers=dev | key("live-1"))
    assert (replay.status_code, replay.content) == (403, refused.content)
    data(await client.post(path, json=body, headers=dev | key("live-2")), 201)


async def test_a_running_twin_gets_409_until_the_lock_is_abandoned(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice = await register_and_login(client, "alice@example.com")
    r = await client.get("/v1/me", headers=alice)
    scope = f"user:{data(r)['id']}"
    # The first request holds the key (as if it were still running in another process).
    fp = fingerprint("POST", "/v1/tenants", "", b'{"name":"Acme"}')
    held = await service.claim(
        sessions, scope=scope, key="busy", fingerprint=fp, now=utcnow(), policy=POLICY
    )
    assert isinstance(held, service.Claim)
    twin = await client.post(
        "/v1/tenants", content=b'{"name":"Acme"}', headers=alice | key("busy") | _json()
    )
    error(twin, 409, "idempotency_key_in_use")
    assert await tenant_count(sessions) == 0

    # Its process died: after the lock timeout a retry runs, once.
    clock.advance(timedelta(seconds=121))
    alice = await register_and_login(client, "alice@example.com")
    ran = await client.post(
        "/v1/tenants", content=b'{"name":"Acme"}', headers=alice | key("busy") | _json()
    )
    data(ran, 201)
    # The dead attempt can no longer store its response over this one.
    await service.complete(sessions, held, service.StoredResponse(500, None, b"stale"))
    replay = await client.post(
        "/v1/tenants", content=b'{"name":"Acme"}', headers=alice | key("busy") | _json()
    )
    assert replay.content == ran.content
    assert await tenant_count(sessions) == 1


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


async def test_records_expire_after_24_hours(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice = await register_and_login(client, "alice@example.com")
    data(await client.post("/v1/tenants", json={"name": "A"}, headers=alice | key("day")), 201)
    clock.advance(timedelta(hours=24, seconds=1))
    alice = await register_and_login(client, "alice@example.com")
    r = await client.post("/v1/tenants", json={"name": "A"}, headers=alice | key("day"))
    data(r, 201)
    assert "idempotent-replayed" not in r.headers
    assert await tenant_count(sessions) == 2
    async with sessions() as s:
        assert await service.purge_expired(s, utcnow() + timedelta(hours=25)) == 1
        await s.commit()


async def test_an_unhandled_error_releases_the_key_so_a_retry_runs(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice = await register_and_login(client, "alice@example.com")
    FAILURES["left"] = 1
    body = {"name": "Flaky"}
    failed = await client.post("/v1/test/flaky-tenants", json=body, headers=alice | key("f"))
    error(failed, 500, "internal_error")
    assert await tenant_count(sessions) == 0  # its transaction rolled back
    ok = await client.post("/v1/test/flaky-tenants", json=body, headers=alice | key("f"))
    data(ok, 201)
    again = await client.post("/v1/test/flaky-tenants", json=body, headers=alice | key("f"))
    assert again.content == ok.content
    assert await tenant_count(sessions) == 1


async def test_api_key_callers_are_scoped_by_tenant_and_mode(client: httpx.AsyncClient) -> None:
    owner = await register_and_login(client, "owner@example.com")
    tenant = await create_tenant(client, owner, "Shop")
    test_key = await new_key(client, tenant, owner, "test")
    live_key = await new_key(client, tenant, owner, "live")
    body = {"name": "charge"}

    def as_key(secret: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret}", "Idempotency-Key": "c1"}

    first = await client.post("/v1/test/charges", json=body, headers=as_key(test_key["secret"]))
    charge = data(first, 201)
    assert (charge["tenant_id"], charge["mode"]) == (tenant, "test")
    again = await client.post("/v1/test/charges", json=body, headers=as_key(test_key["secret"]))
    assert again.content == first.content
    live = await client.post("/v1/test/charges", json=body, headers=as_key(live_key["secret"]))
    assert data(live, 201)["id"] != charge["id"]
    # A retry with the key that replaced the first one still finds the first response.
    r = await client.post(f"/v1/tenants/{tenant}/api-keys/{test_key['id']}/rotate", headers=owner)
    rotated = data(r, 201)
    after = await client.post("/v1/test/charges", json=body, headers=as_key(rotated["secret"]))
    assert after.content == first.content
    other = await client.post(
        "/v1/test/charges", json={"name": "other"}, headers=as_key(rotated["secret"])
    )
    error(other, 422, "idempotency_key_reused")
