"""Who may configure providers and routing, read the audit log, and withdraw invitations
(seed 003 §7.3): owners and admins both modes, developers test mode only, viewers nothing."""

from __future__ import annotations

import httpx

from tests.support.api import data, error, register_and_login
from tests.tenants.conftest import make_team


async def test_provider_configuration_follows_roles(client: httpx.AsyncClient) -> None:
    team = await make_team(client, "roles")
    url = f"/v1/tenants/{team.tenant_id}/provider-configs"
    test_config = {"provider": "paystack", "mode": "test", "currencies": ["NGN"]}
    live_config = test_config | {
        "mode": "live",
        "credentials": {"secret_key": "sk_live_" + "x" * 20},
    }

    error(await client.post(url, json=test_config, headers=team.headers["viewer"]), 403,
          "insufficient_role")  # fmt: skip
    error(await client.post(url, json=live_config, headers=team.headers["developer"]), 403,
          "insufficient_role")  # fmt: skip
    made = data(await client.post(url, json=test_config, headers=team.headers["developer"]), 201)
    data(await client.post(url, json=live_config, headers=team.headers["admin"]), 201)
    error(await client.post(url, json=test_config, headers=team.headers["owner"]), 409,
          "provider_config_exists")  # fmt: skip
    # Live mode needs credentials; a provider takes only its own currencies.
    no_keys = {"provider": "flutterwave", "mode": "live", "currencies": ["NGN"]}
    error(await client.post(url, json=no_keys, headers=team.headers["owner"]), 422,
          "invalid_provider_config")  # fmt: skip
    odd = {"provider": "flutterwave", "mode": "test", "currencies": ["XOF"]}
    error(await client.post(url, json=odd, headers=team.headers["owner"]), 422,
          "invalid_provider_config")  # fmt: skip
    # Viewers read (masked), never write.
    listed = data(await client.get(url, params={"mode": "live"}, headers=team.headers["viewer"]))
    assert listed[0]["credentials"]["secret_key"].startswith("sk_live_")
    assert "x" * 20 not in str(listed)
    r = await client.patch(f"{url}/{made['id']}", json={"priority": 5},
                           headers=team.headers["viewer"])  # fmt: skip
    error(r, 403, "insufficient_role")
    patched = data(await client.patch(f"{url}/{made['id']}", json={"priority": 5},
                                      headers=team.headers["developer"]))  # fmt: skip
    assert patched["priority"] == 5

    rules = f"/v1/tenants/{team.tenant_id}/routing-rules"
    rule = {"mode": "test", "currency": "NGN", "min_amount": 0, "max_amount": 10_000,
            "providers": ["flutterwave", "paystack"], "weights": [1]}  # fmt: skip
    error(await client.post(rules, json=rule, headers=team.headers["developer"]), 422,
          "invalid_provider_config")  # fmt: skip
    rule["weights"] = [3, 1]
    error(await client.post(rules, json=rule, headers=team.headers["viewer"]), 403)
    made_rule = data(await client.post(rules, json=rule, headers=team.headers["developer"]), 201)
    live_rule = data(
        await client.post(rules, json=rule | {"mode": "live"}, headers=team.headers["admin"]), 201
    )
    # A developer cannot remove a live rule, whatever mode the request claims.
    r = await client.delete(f"{rules}/{live_rule['id']}", headers=team.headers["developer"])
    error(r, 403, "insufficient_role")
    assert data(await client.get(rules, headers=team.headers["viewer"]))[0]["id"] == made_rule["id"]

    # The audit log: owners and admins only; it names the changes, never the secrets.
    log_url = f"/v1/tenants/{team.tenant_id}/audit-log"
    error(await client.get(log_url, headers=team.headers["developer"]), 403, "insufficient_role")
    entries = data(await client.get(log_url, headers=team.headers["admin"]))
    actions = [e["action"] for e in entries]
    assert "payments.provider_configured" in actions
    assert "payments.routing_rule_created" in actions
    assert "x" * 20 not in str(entries)

    # Another tenant's owner sees none of it.
    stranger = await register_and_login(client, "stranger@roles.example.com")
    error(await client.get(url, headers=stranger), 404, "tenant_not_found")
    error(await client.get(log_url, headers=stranger), 404, "tenant_not_found")


async def test_a_pending_invitation_can_be_withdrawn(client: httpx.AsyncClient) -> None:
    team = await make_team(client, "withdraw")
    owner = team.headers["owner"]
    r = await client.post(f"/v1/tenants/{team.tenant_id}/members",
                          json={"email": "late@withdraw.example.com", "role": "viewer"},
                          headers=owner)  # fmt: skip
    invitation = data(r, 201)
    url = f"/v1/tenants/{team.tenant_id}/invitations/{invitation['id']}"
    error(await client.delete(url, headers=team.headers["viewer"]), 403, "insufficient_role")
    assert data(await client.delete(url, headers=owner))["status"] == "revoked"
    error(await client.delete(url, headers=owner), 404, "invitation_not_found")
    late = await register_and_login(client, "late@withdraw.example.com")
    r = await client.post(f"/v1/invitations/{invitation['id']}/accept", headers=late)
    error(r, 404, "invitation_not_found")
