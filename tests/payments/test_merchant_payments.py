"""The merchant API end to end: ``POST /v1/payments`` routed over the Paystack and Flutterwave
sandboxes, failover, circuit breaker, refunds, the ledger, tenant isolation."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.ledger.models import LedgerAccount
from kro.ledger.service import balances_for_owner
from tests.payments.merchant import Merchant, customer_pays, gateway, set_faults
from tests.support.api import data, error
from tests.support.platform import Platform, eventually

__all__ = ["gateway"]


async def test_payment_completes_through_paystack_and_is_refunded(
    gateway: Platform, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "shop")
        await shop.configure("paystack", 1)
        await shop.configure("flutterwave", 2)

        created = data(await shop.pay(1_000_000, reference="order-1"), 201)
        assert (created["status"], created["provider"]) == ("requires_action", "paystack")
        assert created["reference"] == "order-1" and created["amount"] == 1_000_000
        await customer_pays(http, created)
        done = await shop.until(created["id"], "completed")
        assert done["amount_captured"] == 1_000_000 and done["fee"] > 0
        events = data(await http.get(f"/v1/payments/{created['id']}/events", headers=shop.key))
        assert [e["to_status"] for e in events] == [
            "pending", "processing", "requires_action", "completed"
        ]  # fmt: skip

        # The same reference again is refused.
        error(await shop.pay(reference="order-1"), 409, "duplicate_reference")

        # Refund part, then more than is left, then the rest.
        url = f"/v1/payments/{created['id']}/refunds"
        part = data(await http.post(url, json={"amount": 400_000}, headers=shop.key), 201)
        error(await http.post(url, json={"amount": 700_000}, headers=shop.key), 409,
              "refund_exceeds_captured")  # fmt: skip
        await shop.until(created["id"], "partially_refunded")
        refund = data(await http.get(f"/v1/refunds/{part['id']}", headers=shop.key))
        assert refund["status"] == "processed"
        # The provider kept its fee: the balance (amount - fee - 400,000) cannot cover the rest.
        error(await http.post(url, json={}, headers=shop.key), 409, "insufficient_funds")
        more = data(await shop.pay(200_000), 201)
        await customer_pays(http, more)
        more = await shop.until(more["id"], "completed")
        data(await http.post(url, json={}, headers=shop.key), 201)
        await shop.until(created["id"], "refunded")

    async with sessions() as session:
        balances = {b.code: b for b in await balances_for_owner(session, shop.tenant_id)}
        merchant = balances[f"merchant:{shop.tenant_id}:test:NGN"]
        fees = done["fee"] + more["fee"]
        assert merchant.credits_posted == 1_200_000
        assert merchant.debits_posted == fees + 1_000_000  # the fees, then both refunds


async def test_failover_when_the_first_provider_is_down_and_the_breaker_opens(
    gateway: Platform,
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "failover")
        await shop.configure("paystack", 1)
        await shop.configure("flutterwave", 2)
        await set_faults(http, gateway, "paystack", down=True)

        for _ in range(4):
            moved = data(await shop.pay(), 201)
            assert moved["provider"] == "flutterwave"
        assert moved["routing"][0]["outcome"] == "circuit_open"  # threshold 3: no more calls
        health = data(await http.get("/v1/providers/health", headers=shop.key))
        paystack = next(h for h in health if h["provider"] == "paystack")
        assert (paystack["state"], paystack["available"]) == ("opened", False)

        await customer_pays(http, moved)
        await shop.until(moved["id"], "completed")

        # Both down: the payment fails with 503 and nothing was charged.
        await set_faults(http, gateway, "flutterwave", down=True)
        failed = error(await shop.pay(), 503, "providers_unavailable")
        kept = await shop.payment(failed["details"]["payment_id"])
        assert kept["status"] == "failed"

        # Paystack recovers: after the breaker's TTL a probe goes through and closes it.
        await set_faults(http, gateway, "paystack")
        await set_faults(http, gateway, "flutterwave")
        await asyncio.sleep(gateway.settings.breaker_ttl + 0.5)
        back = data(await shop.pay(), 201)
        assert back["provider"] == "paystack"
        health = data(await http.get("/v1/providers/health", headers=shop.key))
        assert {h["provider"]: h["state"] for h in health}["paystack"] == "closed"


async def test_unknown_outcome_stays_processing_and_is_never_sent_twice(gateway: Platform) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "timeouts")
        await shop.configure("paystack", 1)
        await shop.configure("flutterwave", 2)
        await set_faults(http, gateway, "paystack", timeout_rate=1.0, timeout_seconds=6.0)
        unknown = data(await shop.pay(), 201)
        assert (unknown["status"], unknown["provider"]) == ("processing", "paystack")
        assert [a["outcome"] for a in unknown["routing"]] == ["timeout"]  # no failover


async def test_tenants_and_modes_are_isolated(gateway: Platform) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        one = await Merchant.create(http, "one")
        two = await Merchant.create(http, "two")
        await one.configure("paystack", 1)
        config = (await one.configure("flutterwave", 2))["id"]
        paid = data(await one.pay(), 201)
        # A configuration with nothing open can go; one with an open payment cannot.
        url = f"/v1/tenants/{one.tenant_id}/provider-configs"
        data(await http.delete(f"{url}/{config}", headers=one.owner))
        paystack = data(await http.get(url, headers=one.owner))[0]["id"]
        r = await http.delete(f"{url}/{paystack}", headers=one.owner)
        error(r, 409, "provider_config_in_use")
        error(await http.get(f"/v1/payments/{paid['id']}", headers=two.key), 404,
              "payment_not_found")  # fmt: skip
        r = await http.post(f"/v1/payments/{paid['id']}/refunds", json={}, headers=two.key)
        error(r, 404, "payment_not_found")
        assert data(await http.get("/v1/payments", headers=two.key)) == []
        # Another tenant has no provider configured: nothing can take its payments.
        error(await two.pay(), 422, "no_provider_available")
        # A live key of the same tenant does not see test payments.
        r = await http.post(
            f"/v1/tenants/{one.tenant_id}/api-keys", json={"mode": "live"}, headers=one.owner
        )
        live = {"Authorization": f"Bearer {data(r, 201)['secret']}"}
        error(await http.get(f"/v1/payments/{paid['id']}", headers=live), 404)
        # The other tenant cannot see or change the first one's provider configurations.
        url = f"/v1/tenants/{one.tenant_id}/provider-configs"
        error(await http.get(url, headers=two.owner), 404, "tenant_not_found")


async def test_provider_credentials_are_encrypted_at_rest(
    gateway: Platform, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "secrets")
        secret = "sk_live_0123456789abcdefghijkl"
        config = await shop.configure(
            "paystack", 1, mode="live", credentials={"secret_key": secret}
        )
        assert secret not in str(config) and config["credentials"]["key_id"] == "dev1"
        audit = data(await http.get(f"/v1/tenants/{shop.tenant_id}/audit-log", headers=shop.owner))
        assert audit[0]["action"] == "payments.provider_configured"
        assert secret not in str(audit)
    async with sessions() as session:
        from kro.payments.models import ProviderConfig

        row = await session.get(ProviderConfig, config["id"])
        assert row is not None and row.credentials is not None
        assert secret not in row.credentials and row.credentials.startswith("dev1:")
        assert (await session.scalars(select(LedgerAccount.id).limit(1))).all() is not None


async def test_stripe_manual_capture_of_part_of_an_authorization(gateway: Platform) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "capture")
        await shop.configure("paystack", 1, currencies=["NGN", "USD"])
        await shop.configure("stripe", 2, currencies=["USD"])
        # Manual capture: only Stripe can, so routing skips Paystack.
        held = data(await shop.pay(10_000, currency="USD", capture_method="manual"), 201)
        assert (held["provider"], held["status"]) == ("stripe", "requires_action")
        r = await http.post(f"/v1/payments/{held['id']}/capture", json={}, headers=shop.key)
        error(r, 409, "payment_not_capturable")
        await customer_pays(http, held)
        await shop.until(held["id"], "requires_capture")
        url = f"/v1/payments/{held['id']}/capture"
        error(await http.post(url, json={"amount": 20_000}, headers=shop.key), 422,
              "capture_exceeds_authorized")  # fmt: skip
        captured = data(await http.post(url, json={"amount": 6_000}, headers=shop.key))
        assert (captured["status"], captured["amount_captured"]) == ("completed", 6_000)
        assert captured["fee"] > 0
        # Refunds are bounded by what was captured, not what was authorized.
        r = await http.post(f"/v1/payments/{held['id']}/refunds", json={"amount": 7_000},
                            headers=shop.key)  # fmt: skip
        error(r, 409, "refund_exceeds_captured")


async def test_forged_and_stale_provider_webhooks_change_nothing(gateway: Platform) -> None:
    import json
    import time

    from stripe import WebhookSignature  # noqa: F401 - the SDK our adapter uses

    from kro.providers.paystack.webhooks import compute_signature
    from kro.sandbox.stripe import signature_header

    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "forged")
        await shop.configure("paystack", 1)
        await shop.configure("stripe", 2, currencies=["USD"])
        ngn = data(await shop.pay(), 201)
        usd = data(await shop.pay(5_000, currency="USD", provider="stripe"), 201)

        charge = {"event": "charge.success", "data": {"reference": ngn["provider_reference"],
                  "id": 1, "status": "success", "amount": 500_000, "currency": "NGN"}}  # fmt: skip
        body = json.dumps(charge).encode()
        forged = compute_signature(body, "sk_test_not_the_merchants_key")
        r = await http.post("/v1/webhooks/paystack", content=body,
                            headers={"x-paystack-signature": forged})  # fmt: skip
        error(r, 401, "invalid_signature")

        ref = usd["provider_reference"]
        intent = {"id": "pi_x", "object": "payment_intent", "metadata": {"reference": ref}}
        event = {
            "id": "evt_forged",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": intent},
        }
        body = json.dumps(event).encode()
        secret = gateway.settings.stripe_sandbox_webhook_secret
        stale = signature_header(body.decode(), secret, int(time.time()) - 3600)
        r = await http.post(
            "/v1/webhooks/stripe", content=body, headers={"stripe-signature": stale}
        )
        error(r, 401, "invalid_signature")
        wrong = signature_header(body.decode(), "whsec_wrong", int(time.time()))
        r = await http.post(
            "/v1/webhooks/stripe", content=body, headers={"stripe-signature": wrong}
        )
        error(r, 401, "invalid_signature")

        # A correctly signed event is still only a hint: the provider says the PI is unpaid.
        fresh = signature_header(body.decode(), secret, int(time.time()))
        r = await http.post(
            "/v1/webhooks/stripe", content=body, headers={"stripe-signature": fresh}
        )
        assert r.status_code == 200, r.text
        replay = await http.post("/v1/webhooks/stripe", content=body,
                                 headers={"stripe-signature": fresh})  # fmt: skip
        assert data(replay)["duplicate"] is True
        assert (await shop.payment(ngn["id"]))["status"] == "requires_action"
        assert (await shop.payment(usd["id"]))["status"] == "requires_action"


async def test_an_idempotency_key_creates_one_payment(gateway: Platform) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "idem")
        await shop.configure("paystack", 1)
        body = {"amount": 70_000, "currency": "NGN", "customer": {"email": "k@example.com"}}
        headers = shop.key | {"Idempotency-Key": "order-77"}
        answers = await asyncio.gather(
            *(http.post("/v1/payments", json=body, headers=headers) for _ in range(5))
        )
        assert {r.status_code for r in answers} <= {201, 409}
        ids = {r.json()["data"]["id"] for r in answers if r.status_code == 201}
        assert len(ids) == 1
        replay = await http.post("/v1/payments", json=body, headers=headers)
        assert replay.status_code == 201 and replay.json()["data"]["id"] in ids
        r = await http.post("/v1/payments", json=body | {"amount": 1}, headers=headers)
        error(r, 422, "idempotency_key_reused")
        assert len(data(await http.get("/v1/payments", headers=shop.key))) == 1


async def test_a_hosted_page_paid_after_a_decline_is_booked(gateway: Platform) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "late")
        await shop.configure("stripe", 1, currencies=["USD"])
        created = data(await shop.pay(4_000, currency="USD"), 201)
        page = created["next_action"]["url"]
        assert (await http.post(f"{page}/decline")).status_code in (200, 303)
        await shop.until(created["id"], "failed")
        assert (await http.post(f"{page}/pay")).status_code in (200, 303)
        done = await shop.until(created["id"], "completed")
        assert done["failure_reason"] is None and done["amount_captured"] == 4_000
        events = data(await http.get(f"/v1/payments/{created['id']}/events", headers=shop.key))
        assert [e["to_status"] for e in events][-2:] == ["failed", "completed"]


async def test_a_merchant_payment_through_fincra(gateway: Platform) -> None:
    """Fincra is a provider like the others: configured in test mode (the sandbox business),
    routed to, paid on its hosted page, confirmed by its webhook and verify endpoint, and
    booked; a live configuration needs Fincra's business id."""
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "fincrashop")
        await shop.configure("fincra", 1)
        created = data(await shop.pay(750_000), 201)
        assert (created["status"], created["provider"]) == ("requires_action", "fincra")
        assert "/sandbox/fincra/" in created["next_action"]["url"]
        await customer_pays(http, created)
        done = await shop.until(created["id"], "completed")
        assert done["amount_captured"] == 750_000 and done["fee"] > 0
        # Fincra has no refund API integrated: refused by the provider, the booking reversed.
        url = f"/v1/payments/{created['id']}/refunds"
        refund = data(await http.post(url, json={"amount": 100_000}, headers=shop.key), 201)

        async def refund_failed() -> bool:
            found = data(await http.get(f"/v1/refunds/{refund['id']}", headers=shop.key))
            return bool(found["status"] == "failed")

        await eventually(refund_failed)
        keys = {"secret_key": "sk_live_fincra_x", "webhook_secret": "whsec_fx1"}
        live = {"provider": "fincra", "mode": "live", "currencies": ["NGN"], "credentials": keys}
        r = await http.post(
            f"/v1/tenants/{shop.tenant_id}/provider-configs", json=live, headers=shop.owner
        )
        error(r, 422, "invalid_provider_config")
