"""Tenants and their team: roles, invitations, isolation between tenants, audit log."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.audit.models import AuditEntry
from tests.support.api import data, error, register_and_login
from tests.tenants.conftest import create_tenant, join, make_team


async def test_the_creator_owns_the_tenant_and_sees_only_their_tenants(
    client: httpx.AsyncClient,
) -> None:
    alice = await register_and_login(client, "alice@example.com")
    bob = await register_and_login(client, "bob@example.com")
    a = await create_tenant(client, alice, "Alice Foods")
    b = await create_tenant(client, bob, "Bob Motors")

    mine = data(await client.get("/v1/tenants", headers=alice))
    assert [(t["id"], t["name"], t["role"]) for t in mine] == [(a, "Alice Foods", "owner")]
    assert data(await client.get(f"/v1/tenants/{a}", headers=alice))["role"] == "owner"
    # Another tenant's id is indistinguishable from a missing one, on every endpoint.
    for method, path in [
        ("GET", f"/v1/tenants/{b}"),
        ("GET", f"/v1/tenants/{b}/members"),
        ("GET", f"/v1/tenants/{b}/invitations"),
        ("GET", f"/v1/tenants/{b}/api-keys"),
        ("POST", f"/v1/tenants/{b}/api-keys"),
        ("POST", f"/v1/tenants/{b}/members"),
        ("PATCH", f"/v1/tenants/{b}/members/mem_x"),
        ("DELETE", f"/v1/tenants/{b}/members/mem_x"),
        ("POST", f"/v1/tenants/{b}/api-keys/key_x/rotate"),
        ("DELETE", f"/v1/tenants/{b}/api-keys/key_x"),
    ]:
        body = {"mode": "test"} if "api-keys" in path else {"email": "x@y.com", "role": "viewer"}
        if method == "PATCH":
            body = {"role": "viewer"}
        r = await client.request(method, path, headers=alice, json=body)
        error(r, 404, "tenant_not_found")
    error(await client.get("/v1/tenants"), 401)


async def test_invitations_are_accepted_by_the_invited_email_only(
    client: httpx.AsyncClient,
) -> None:
    owner = await register_and_login(client, "owner@example.com")
    tenant = await create_tenant(client, owner, "Shop")
    dev = await register_and_login(client, "dev@example.com")
    eve = await register_and_login(client, "eve@example.com")
    r = await client.post(
        f"/v1/tenants/{tenant}/members",
        json={"email": "DEV@example.com", "role": "developer"},
        headers=owner,
    )
    invitation = data(r, 201)
    assert (invitation["email"], invitation["role"], invitation["status"]) == (
        "dev@example.com",
        "developer",
        "pending",
    )
    again = await client.post(
        f"/v1/tenants/{tenant}/members",
        json={"email": "dev@example.com", "role": "viewer"},
        headers=owner,
    )
    error(again, 409, "invitation_pending")
    assert data(await client.get("/v1/invitations", headers=eve)) == []
    error(await client.post(f"/v1/invitations/{invitation['id']}/accept", headers=eve), 404)
    assert [i["id"] for i in data(await client.get("/v1/invitations", headers=dev))] == [
        invitation["id"]
    ]
    joined = data(await client.post(f"/v1/invitations/{invitation['id']}/accept", headers=dev), 201)
    assert (joined["id"], joined["role"]) == (tenant, "developer")
    error(await client.post(f"/v1/invitations/{invitation['id']}/accept", headers=dev), 404)
    members = data(await client.get(f"/v1/tenants/{tenant}/members", headers=dev))
    assert sorted((m["email"], m["role"]) for m in members) == [
        ("dev@example.com", "developer"),
        ("owner@example.com", "owner"),
    ]
    r = await client.post(
        f"/v1/tenants/{tenant}/members",
        json={"email": "dev@example.com", "role": "viewer"},
        headers=owner,
    )
    error(r, 409, "already_member")


async def test_role_rules_for_the_team(client: httpx.AsyncClient) -> None:
    team = await make_team(client)
    t, h, ids = team.tenant_id, team.headers, team.member_ids

    # Viewers and developers read the team but cannot change it.
    for role in ("viewer", "developer"):
        assert len(data(await client.get(f"/v1/tenants/{t}/members", headers=h[role]))) == 4
        r = await client.post(
            f"/v1/tenants/{t}/members", json={"email": "n@x.com", "role": "viewer"}, headers=h[role]
        )
        error(r, 403, "insufficient_role")
        r = await client.patch(
            f"/v1/tenants/{t}/members/{ids['viewer']}", json={"role": "admin"}, headers=h[role]
        )
        error(r, 403, "insufficient_role")
        error(await client.get(f"/v1/tenants/{t}/invitations", headers=h[role]), 403)

    # Admins manage non-owners, but neither make nor touch owners.
    r = await client.patch(
        f"/v1/tenants/{t}/members/{ids['viewer']}", json={"role": "developer"}, headers=h["admin"]
    )
    assert data(r)["role"] == "developer"
    r = await client.patch(
        f"/v1/tenants/{t}/members/{ids['viewer']}", json={"role": "owner"}, headers=h["admin"]
    )
    error(r, 403, "insufficient_role")
    error(await client.delete(f"/v1/tenants/{t}/members/{ids['owner']}", headers=h["admin"]), 403)
    r = await client.post(
        f"/v1/tenants/{t}/members", json={"email": "o2@x.com", "role": "owner"}, headers=h["admin"]
    )
    error(r, 403, "insufficient_role")

    # The last owner stays; with a second owner, the first may step down.
    r = await client.patch(
        f"/v1/tenants/{t}/members/{ids['owner']}", json={"role": "admin"}, headers=h["owner"]
    )
    error(r, 409, "last_owner")
    error(await client.delete(f"/v1/tenants/{t}/members/{ids['owner']}", headers=h["owner"]), 409)
    r = await client.patch(
        f"/v1/tenants/{t}/members/{ids['admin']}", json={"role": "owner"}, headers=h["owner"]
    )
    assert data(r)["role"] == "owner"
    r = await client.patch(
        f"/v1/tenants/{t}/members/{ids['owner']}", json={"role": "viewer"}, headers=h["owner"]
    )
    assert data(r)["role"] == "viewer"

    # Removing a member ends their access (404, like any tenant not theirs).
    r = await client.delete(f"/v1/tenants/{t}/members/{ids['developer']}", headers=h["admin"])
    assert data(r) == {"id": ids["developer"], "status": "removed"}
    error(await client.get(f"/v1/tenants/{t}", headers=h["developer"]), 404, "tenant_not_found")
    error(await client.delete(f"/v1/tenants/{t}/members/mem_nope", headers=h["admin"]), 404)


async def test_team_changes_are_audit_logged_with_the_ip(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner = await register_and_login(client, "owner@example.com")
    tenant = await create_tenant(client, owner, "Shop")
    await join(client, tenant, owner, "v@example.com", "viewer")
    async with sessions() as s:
        rows = (await s.execute(select(AuditEntry).where(AuditEntry.target_id == tenant))).scalars()
        entries = [(e.action, e.ip, (e.details or {}).get("role")) for e in rows]
    assert sorted(entries) == [
        ("tenants.created", "127.0.0.1", None),
        ("tenants.invitation_accepted", "127.0.0.1", "viewer"),
        ("tenants.member_invited", "127.0.0.1", "viewer"),
    ]
