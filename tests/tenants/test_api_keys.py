"""Secret API keys: shown once, digests stored, found by prefix; roles per mode; rotation
with a grace period; revocation; ``GET /v1/tenant``; per-key rate limits; audit log."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.app import create_app
from kro.audit.models import AuditEntry
from kro.identity.models import ApiKey
from kro.kit.clock import clock
from kro.settings import Settings
from tests.support.api import data, error, register_and_login
from tests.tenants.conftest import create_tenant, make_team, new_key


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_a_key_is_shown_once_stored_as_a_digest_and_authenticates_its_tenant_and_mode(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner = await register_and_login(client, "owner@example.com")
    tenant = await create_tenant(client, owner, "Shop")
    test_key = await new_key(client, tenant, owner, "test")
    live_key = await new_key(client, tenant, owner, "live")
    assert test_key["secret"].startswith("sk_test_") and live_key["secret"].startswith("sk_live_")
    assert test_key["prefix"] == test_key["secret"][:12]

    async with sessions() as s:
        row = await s.get(ApiKey, test_key["id"])
        assert row is not None
        assert row.digest == hashlib.sha256(test_key["secret"].encode()).hexdigest()
        assert test_key["secret"] not in str(row.__dict__)

    listed = data(await client.get(f"/v1/tenants/{tenant}/api-keys", headers=owner))
    assert [(k["id"], k["mode"], k["last_used_at"]) for k in listed] == [
        (live_key["id"], "live", None),
        (test_key["id"], "test", None),
    ]
    assert all("secret" not in k for k in listed)

    me = data(await client.get("/v1/tenant", headers=bearer(test_key["secret"])))
    assert (me["tenant_id"], me["mode"], me["api_key_id"]) == (tenant, "test", test_key["id"])
    me = data(await client.get("/v1/tenant", headers=bearer(live_key["secret"])))
    assert (me["tenant_id"], me["mode"]) == (tenant, "live")
    listed = data(await client.get(f"/v1/tenants/{tenant}/api-keys", headers=owner))
    assert all(k["last_used_at"] is not None for k in listed)

    # Wrong, malformed, user tokens and no credentials: 401.
    for headers in (
        bearer(test_key["secret"][:-2] + "xx"),
        bearer("sk_test_short"),
        owner,
        {},
    ):
        error(await client.get("/v1/tenant", headers=headers), 401, "invalid_api_key")


async def test_developers_manage_test_keys_only_and_viewers_none(
    client: httpx.AsyncClient,
) -> None:
    team = await make_team(client)
    t, h = team.tenant_id, team.headers
    live = await new_key(client, t, h["admin"], "live")
    test = await new_key(client, t, h["developer"], "test")
    r = await client.post(
        f"/v1/tenants/{t}/api-keys", json={"mode": "live"}, headers=h["developer"]
    )
    error(r, 403, "insufficient_role")
    for mode in ("test", "live"):
        r = await client.post(f"/v1/tenants/{t}/api-keys", json={"mode": mode}, headers=h["viewer"])
        error(r, 403, "insufficient_role")
    # Developers do not even see live keys; viewers see both but change neither.
    dev_view = data(await client.get(f"/v1/tenants/{t}/api-keys", headers=h["developer"]))
    assert [k["id"] for k in dev_view] == [test["id"]]
    error(
        await client.delete(f"/v1/tenants/{t}/api-keys/{live['id']}", headers=h["developer"]), 404
    )
    viewer_view = data(await client.get(f"/v1/tenants/{t}/api-keys", headers=h["viewer"]))
    assert {k["id"] for k in viewer_view} == {test["id"], live["id"]}
    r = await client.delete(f"/v1/tenants/{t}/api-keys/{test['id']}", headers=h["viewer"])
    error(r, 403, "insufficient_role")
    r = await client.post(f"/v1/tenants/{t}/api-keys/{test['id']}/rotate", headers=h["viewer"])
    error(r, 403, "insufficient_role")


async def test_a_rotated_key_works_for_the_grace_period_and_a_revoked_one_at_once(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner = await register_and_login(client, "owner@example.com")
    tenant = await create_tenant(client, owner, "Shop")
    old = await new_key(client, tenant, owner)
    r = await client.post(f"/v1/tenants/{tenant}/api-keys/{old['id']}/rotate", headers=owner)
    new = data(r, 201)
    assert new["secret"] != old["secret"] and new["mode"] == "test"
    error(
        await client.post(f"/v1/tenants/{tenant}/api-keys/{old['id']}/rotate", headers=owner),
        409,
        "api_key_inactive",
    )
    for secret in (old["secret"], new["secret"]):
        data(await client.get("/v1/tenant", headers=bearer(secret)))

    clock.advance(timedelta(hours=24, seconds=1))  # KRO_API_KEY_ROTATION_GRACE, default 24 h
    error(await client.get("/v1/tenant", headers=bearer(old["secret"])), 401, "invalid_api_key")
    owner = await register_and_login(client, "owner@example.com")  # the old token expired
    data(await client.get("/v1/tenant", headers=bearer(new["secret"])))

    revoked = data(await client.delete(f"/v1/tenants/{tenant}/api-keys/{new['id']}", headers=owner))
    assert revoked["revoked_at"] is not None
    error(await client.get("/v1/tenant", headers=bearer(new["secret"])), 401, "invalid_api_key")
    error(await client.delete(f"/v1/tenants/{tenant}/api-keys/{new['id']}", headers=owner), 409)

    async with sessions() as s:
        rows = await s.execute(
            select(AuditEntry).where(
                AuditEntry.target_type == "tenant", AuditEntry.action.like("tenants.api_key_%")
            )
        )
        entries = sorted((e.action, (e.details or {})["api_key_id"], e.ip) for e in rows.scalars())
    assert entries == sorted(
        [
            ("tenants.api_key_created", old["id"], "127.0.0.1"),
            ("tenants.api_key_rotated", old["id"], "127.0.0.1"),
            ("tenants.api_key_revoked", new["id"], "127.0.0.1"),
        ]
    )


@pytest.fixture
async def limited_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"api_rate_limit": "3/minute"}))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kro.test") as c:
            yield c


async def test_api_key_requests_are_rate_limited_per_key(
    limited_client: httpx.AsyncClient,
) -> None:
    client = limited_client
    owner = await register_and_login(client, "owner@example.com")
    tenant = await create_tenant(client, owner, "Shop")
    first = await new_key(client, tenant, owner)
    second = await new_key(client, tenant, owner)
    for remaining in (2, 1, 0):
        r = await client.get("/v1/tenant", headers=bearer(first["secret"]))
        data(r)
        assert r.headers["x-ratelimit-limit"] == "3"
        assert r.headers["x-ratelimit-remaining"] == str(remaining)
        assert int(r.headers["x-ratelimit-reset"]) > 0
    r = await client.get("/v1/tenant", headers=bearer(first["secret"]))
    err = error(r, 429, "rate_limited")
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert err["details"]["retry_after"] == int(r.headers["retry-after"])
    assert r.headers["x-ratelimit-remaining"] == "0"
    # Another key has its own budget; user-token routes are not limited by it.
    data(await client.get("/v1/tenant", headers=bearer(second["secret"])))
    data(await client.get("/v1/tenants", headers=owner))
