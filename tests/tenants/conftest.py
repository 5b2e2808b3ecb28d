"""Tenant fixtures: signed-in users, a tenant with a team, API keys (all over the HTTP API)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tests.support.api import data, register_and_login


@dataclass
class Team:
    """A tenant whose owner invited one member per other role (all accepted)."""

    tenant_id: str
    headers: dict[str, dict[str, str]]  # role -> Authorization headers
    member_ids: dict[str, str]  # role -> member id


async def create_tenant(client: httpx.AsyncClient, headers: dict[str, str], name: str) -> str:
    r = await client.post("/v1/tenants", json={"name": name}, headers=headers)
    return str(data(r, 201)["id"])


async def join(
    client: httpx.AsyncClient, tenant_id: str, owner: dict[str, str], email: str, role: str
) -> dict[str, str]:
    """Register ``email``, invite it with ``role`` and accept; returns its headers."""
    headers = await register_and_login(client, email)
    r = await client.post(
        f"/v1/tenants/{tenant_id}/members", json={"email": email, "role": role}, headers=owner
    )
    invitation = data(r, 201)
    data(await client.post(f"/v1/invitations/{invitation['id']}/accept", headers=headers), 201)
    return headers


async def make_team(client: httpx.AsyncClient, tag: str = "acme") -> Team:
    owner = await register_and_login(client, f"owner@{tag}.example.com")
    tenant_id = await create_tenant(client, owner, f"{tag} Ltd")
    headers = {"owner": owner}
    for role in ("admin", "developer", "viewer"):
        headers[role] = await join(client, tenant_id, owner, f"{role}@{tag}.example.com", role)
    members = data(await client.get(f"/v1/tenants/{tenant_id}/members", headers=owner))
    return Team(tenant_id, headers, {m["role"]: m["id"] for m in members})


async def new_key(
    client: httpx.AsyncClient, tenant_id: str, headers: dict[str, str], mode: str = "test"
) -> dict[str, str]:
    r = await client.post(f"/v1/tenants/{tenant_id}/api-keys", json={"mode": mode}, headers=headers)
    key: dict[str, str] = data(r, 201)
    return key
