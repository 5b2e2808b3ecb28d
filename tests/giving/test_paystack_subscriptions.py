"""The Paystack sandbox's plans and subscriptions (for monthly gifts), through our Paystack
client: a plan, a checkout with ``plan`` that subscribes the payer (``subscription.create``),
a renewal triggered in the sandbox (``invoice.create``, ``charge.success`` carrying the plan,
``invoice.update``), disable and enable with the email token."""

from __future__ import annotations

from typing import Any

import httpx

from kro.providers.errors import ProviderRejected
from kro.providers.paystack import PaystackClient, parse_event
from tests.sandbox.paystack_fixtures import (
    SECRET_KEY,
    SandboxServer,
    eventually,
    http,
    pay,
    paystack,
    receiver,
    sandbox,
    tx_ref,
)

__all__ = ["http", "paystack", "receiver", "sandbox"]  # the sandbox's fixtures, reused


def _events(server: SandboxServer, name: str) -> list[dict[str, Any]]:
    return [
        parse_event(r.body).data for r in server.receiver.requests if r.payload["event"] == name
    ]


async def test_plan_checkout_subscription_renewal_and_disable(
    sandbox: SandboxServer, paystack: PaystackClient
) -> None:
    plan = await paystack.create_plan("KRO Giving monthly ₦5,000", 500_000, "monthly")
    assert plan.plan_code.startswith("PLN_") and plan.amount == 500_000
    email = f"monthly-{tx_ref()}@example.com"
    init = await paystack.initialize_transaction(email, 100, "NGN", tx_ref(), plan=plan.plan_code)
    await pay(sandbox, init.authorization_url)
    verified = await paystack.verify_transaction(init.reference)
    assert verified.amount == 500_000  # the plan's amount replaced ours

    def created() -> list[dict[str, Any]]:
        return [
            d for d in _events(sandbox, "subscription.create") if d["customer"]["email"] == email
        ]

    [sub] = await eventually(created)
    assert sub["status"] == "active" and sub["plan"]["plan_code"] == plan.plan_code
    assert sub["subscription_code"].startswith("SUB_") and sub["email_token"]
    assert sub["authorization"]["authorization_code"].startswith("AUTH_")
    code, token = sub["subscription_code"], sub["email_token"]
    fetched = await paystack.fetch_subscription(code)
    assert (fetched.status, fetched.amount, fetched.plan.interval) == ("active", 500_000, "monthly")

    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        renewed = (await client.post(f"/_sandbox/subscriptions/{code}/renew")).json()
    assert renewed["status"] is True
    reference = renewed["data"]["reference"]

    def renewal() -> list[dict[str, Any]]:
        return [d for d in _events(sandbox, "charge.success") if d["reference"] == reference]

    [charge] = await eventually(renewal)
    assert charge["plan"]["plan_code"] == plan.plan_code and charge["amount"] == 500_000
    assert charge["customer"]["email"] == email and charge["fees"] == 17_500
    invoices = [
        d
        for d in _events(sandbox, "invoice.update")
        if d["subscription"]["subscription_code"] == code
    ]
    assert invoices and invoices[0]["paid"] is True
    assert invoices[0]["transaction"]["reference"] == reference
    assert any(
        d["subscription"]["subscription_code"] == code for d in _events(sandbox, "invoice.create")
    )
    assert (await paystack.verify_transaction(reference)).status == "success"

    try:
        await paystack.disable_subscription(code, "wrong-token")
        raise AssertionError("a wrong token must be refused")
    except ProviderRejected:
        pass
    await paystack.disable_subscription(code, token)
    assert (await paystack.fetch_subscription(code)).status == "non-renewing"
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        refused = await client.post(f"/_sandbox/subscriptions/{code}/renew")
    assert refused.status_code == 400
    await paystack.enable_subscription(code, token)
    assert (await paystack.fetch_subscription(code)).status == "active"


async def test_plans_list_fetch_update_and_errors(sandbox: SandboxServer) -> None:
    headers = {"Authorization": f"Bearer {SECRET_KEY}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as client:
        bad = await client.post("/plan", json={"name": "x", "amount": 100, "interval": "often"})
        assert bad.status_code == 400 and bad.json()["status"] is False
        r = await client.post(
            "/plan", json={"name": "Weekly", "amount": 20_000, "interval": "weekly"}
        )
        assert r.status_code == 201 and r.json()["message"] == "Plan created"
        code = r.json()["data"]["plan_code"]
        listed = (await client.get("/plan")).json()
        assert code in [p["plan_code"] for p in listed["data"]] and "meta" in listed
        assert (await client.put(f"/plan/{code}", json={"amount": 30_000})).status_code == 200
        assert (await client.get(f"/plan/{code}")).json()["data"]["amount"] == 30_000
        assert (await client.get("/plan/PLN_missing")).status_code == 404
        unauth = await client.get("/plan", headers={"Authorization": "Bearer sk_test_nope"})
        assert unauth.status_code == 401
        no_card = await client.post(
            "/subscription", json={"customer": "nobody@example.com", "plan": code}
        )
        assert no_card.status_code == 400
