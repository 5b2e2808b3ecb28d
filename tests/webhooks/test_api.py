"""The merchant API of webhooks through the real app: endpoints (secret shown once, pagination,
validation, enable/disable, delete, rotate), events (list, detail, attempts, retry, test) and
isolation between tenants and between modes."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from kro.settings import Settings
from tests.support.api import data, error, register_and_login
from tests.tenants.conftest import create_tenant, new_key
from tests.webhooks.conftest import Receiver, Reply, emit, run_jobs


@dataclass
class Keys:
    tenant_id: str
    test: dict[str, str]
    live: dict[str, str]


async def tenant_keys(client: httpx.AsyncClient, tag: str) -> Keys:
    owner = await register_and_login(client, f"owner@{tag}.example.com")
    tenant_id = await create_tenant(client, owner, f"{tag} Ltd")
    test = await new_key(client, tenant_id, owner, "test")
    live = await new_key(client, tenant_id, owner, "live")
    return Keys(
        tenant_id,
        {"Authorization": f"Bearer {test['secret']}"},
        {"Authorization": f"Bearer {live['secret']}"},
    )


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], url: str, events: list[str] | None = None
) -> dict[str, str]:
    body = {"url": url, "enabled_events": events or ["*"], "description": "orders"}
    created: dict[str, str] = data(
        await client.post("/v1/webhook-endpoints", json=body, headers=headers), 201
    )
    return created


async def test_endpoints_crud_secret_once_and_pagination(client: httpx.AsyncClient) -> None:
    keys = await tenant_keys(client, "acme")
    first = await create(client, keys.test, "https://shop.example.com/hooks/1")
    assert first["secret"].startswith("whsec_") and first["status"] == "enabled"
    assert first["mode"] == "test" and first["enabled_events"] == ["*"]
    for n in (2, 3):
        await create(client, keys.test, f"https://shop.example.com/hooks/{n}")

    shown = data(await client.get(f"/v1/webhook-endpoints/{first['id']}", headers=keys.test))
    assert "secret" not in shown and shown["url"] == "https://shop.example.com/hooks/1"
    r = await client.get("/v1/webhook-endpoints", params={"limit": 2}, headers=keys.test)
    page = data(r)
    pagination = r.json()["meta"]["pagination"]
    assert len(page) == 2 and pagination["has_more"] is True
    r = await client.get(
        "/v1/webhook-endpoints",
        params={"limit": 2, "cursor": pagination["next_cursor"]},
        headers=keys.test,
    )
    assert [e["id"] for e in data(r)] == [first["id"]]
    assert r.json()["meta"]["pagination"] == {"limit": 2, "has_more": False, "next_cursor": None}
    assert all("secret" not in e for e in page)

    patch = {"enabled_events": ["payment.failed"], "description": None, "enabled": False}
    r = await client.patch(f"/v1/webhook-endpoints/{first['id']}", json=patch, headers=keys.test)
    changed = data(r)
    assert changed["enabled_events"] == ["payment.failed"] and changed["description"] is None
    assert (changed["status"], changed["disabled_reason"]) == ("disabled", "manual")
    r = await client.post(f"/v1/webhook-endpoints/{first['id']}/test", headers=keys.test)
    error(r, 409, "webhook_endpoint_disabled")
    r = await client.patch(
        f"/v1/webhook-endpoints/{first['id']}", json={"enabled": True}, headers=keys.test
    )
    assert data(r)["status"] == "enabled" and data(r)["disabled_reason"] is None

    data(await client.delete(f"/v1/webhook-endpoints/{first['id']}", headers=keys.test))
    r = await client.get(f"/v1/webhook-endpoints/{first['id']}", headers=keys.test)
    error(r, 404, "webhook_endpoint_not_found")


async def test_validation_errors(client: httpx.AsyncClient) -> None:
    keys = await tenant_keys(client, "acme")
    body = {"url": "https://shop.example.com/h", "enabled_events": ["payment.exploded"]}
    r = await client.post("/v1/webhook-endpoints", json=body, headers=keys.test)
    assert error(r, 422, "invalid_event_type")["details"]["unknown"] == ["payment.exploded"]
    body = {"url": "http://shop.example.com/h", "enabled_events": ["*"]}
    error(
        await client.post("/v1/webhook-endpoints", json=body, headers=keys.live),
        422,
        "invalid_webhook_url",
    )
    data(await client.post("/v1/webhook-endpoints", json=body, headers=keys.test), 201)
    error(await client.post("/v1/webhook-endpoints", json={"url": "x"}, headers=keys.test), 422)
    error(await client.get("/v1/webhook-endpoints"), 401, "invalid_api_key")


async def test_create_is_idempotent(client: httpx.AsyncClient) -> None:
    keys = await tenant_keys(client, "acme")
    body = {"url": "https://shop.example.com/h", "enabled_events": ["*"]}
    headers = {**keys.test, "Idempotency-Key": "create-endpoint-1"}
    first = data(await client.post("/v1/webhook-endpoints", json=body, headers=headers), 201)
    again = await client.post("/v1/webhook-endpoints", json=body, headers=headers)
    assert again.status_code == 201 and again.json()["data"]["id"] == first["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert len(data(await client.get("/v1/webhook-endpoints", headers=keys.test))) == 1


async def test_test_event_attempts_retry_and_rotation_through_the_api(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    receiver: Receiver,
) -> None:
    keys = await tenant_keys(client, "acme")
    ep = await create(client, keys.test, receiver.url)
    r = await client.post(f"/v1/webhook-endpoints/{ep['id']}/test", headers=keys.test)
    event = data(r, 202)
    assert event["type"] == "webhook.test" and event["data"]["endpoint_id"] == ep["id"]
    receiver.script(Reply(500, body="x" * 5000))
    await run_jobs(sessions, settings)
    [got] = receiver.received()
    assert Webhook(ep["secret"]).verify(got.body, got.headers)["type"] == "webhook.test"

    detail = data(await client.get(f"/v1/events/{event['id']}", headers=keys.test))
    [delivery] = detail["deliveries"]
    assert (delivery["status"], delivery["attempt_count"], delivery["last_status_code"]) == (
        "pending",
        1,
        500,
    )
    [attempt] = data(await client.get(f"/v1/events/{event['id']}/attempts", headers=keys.test))
    assert attempt["status_code"] == 500 and len(attempt["response_body"]) == 1024

    r = await client.post(f"/v1/events/{event['id']}/retry", headers=keys.test)
    assert [d["endpoint_id"] for d in data(r, 202)] == [ep["id"]]
    await run_jobs(sessions, settings)
    attempts = data(await client.get(f"/v1/events/{event['id']}/attempts", headers=keys.test))
    assert [(a["number"], a["status_code"]) for a in attempts] == [(2, 200), (1, 500)]
    detail = data(await client.get(f"/v1/events/{event['id']}", headers=keys.test))
    assert detail["deliveries"][0]["status"] == "succeeded"

    # A new endpoint can be sent an old event; a rotated secret still verifies for 24 h.
    second = await create(client, keys.test, f"{receiver.base_url}/second")
    r = await client.post(f"/v1/webhook-endpoints/{second['id']}/rotate-secret", headers=keys.test)
    rotated = data(r, 201)
    assert rotated["secret"] != second["secret"] and rotated["previous_secret_expires_at"]
    r = await client.post(
        f"/v1/events/{event['id']}/retry", json={"endpoint_id": second["id"]}, headers=keys.test
    )
    assert [d["endpoint_id"] for d in data(r, 202)] == [second["id"]]
    await run_jobs(sessions, settings)
    last = receiver.received()[-1]
    assert last.path == "/second" and last.headers["webhook-id"] == event["message_id"]
    for secret in (second["secret"], rotated["secret"]):
        Webhook(secret).verify(last.body, last.headers)


async def test_events_are_listed_per_tenant_and_mode(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    acme, other = await tenant_keys(client, "acme"), await tenant_keys(client, "other")
    paid = await emit(sessions, tenant_id=acme.tenant_id, type="payment.completed")
    await emit(sessions, tenant_id=acme.tenant_id, type="refund.completed")
    live = await emit(sessions, tenant_id=acme.tenant_id, mode="live", type="payment.failed")

    listed = data(await client.get("/v1/events", headers=acme.test))
    assert [e["type"] for e in listed] == ["refund.completed", "payment.completed"]
    r = await client.get("/v1/events", params={"type": "payment.completed"}, headers=acme.test)
    assert [e["id"] for e in data(r)] == [paid]
    r = await client.get("/v1/events", params={"limit": 1}, headers=acme.test)
    assert r.json()["meta"]["pagination"]["has_more"] is True
    assert [e["id"] for e in data(await client.get("/v1/events", headers=acme.live))] == [live]
    error(await client.get(f"/v1/events/{live}", headers=acme.test), 404, "event_not_found")
    error(await client.get(f"/v1/events/{paid}", headers=acme.live), 404, "event_not_found")
    assert data(await client.get("/v1/events", headers=other.test)) == []


async def test_another_tenant_gets_404_everywhere(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    acme, other = await tenant_keys(client, "acme"), await tenant_keys(client, "other")
    ep = await create(client, acme.test, "https://shop.example.com/h")
    event_id = await emit(sessions, tenant_id=acme.tenant_id)
    base = f"/v1/webhook-endpoints/{ep['id']}"
    calls = [
        ("GET", base, None),
        ("PATCH", base, {"enabled": False}),
        ("DELETE", base, None),
        ("POST", f"{base}/rotate-secret", None),
        ("POST", f"{base}/test", None),
    ]
    for headers in (other.test, acme.live):  # another tenant, or the other mode
        for method, path, body in calls:
            r = await client.request(method, path, json=body, headers=headers)
            error(r, 404, "webhook_endpoint_not_found")
        for path in (f"/v1/events/{event_id}", f"/v1/events/{event_id}/attempts"):
            error(await client.get(path, headers=headers), 404, "event_not_found")
        r = await client.post(f"/v1/events/{event_id}/retry", headers=headers)
        error(r, 404, "event_not_found")
    mine = await emit(sessions, tenant_id=other.tenant_id)
    r = await client.post(
        f"/v1/events/{mine}/retry", json={"endpoint_id": ep["id"]}, headers=other.test
    )
    error(r, 404, "webhook_endpoint_not_found")
    assert data(await client.get(base, headers=acme.test))["status"] == "enabled"
