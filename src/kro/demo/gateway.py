"""``kro demo gateway``: the merchant API (seed 003) carried end to end over HTTP.

A business signs up, creates a tenant and a test-mode secret key, and configures Paystack
(priority 1) and Flutterwave (priority 2) for NGN with the platform's sandbox keys. A small
local receiver verifies our outgoing webhooks with the ``standardwebhooks`` library. Two
payments go through Paystack; then the Paystack sandbox is switched down and two more fail
over to Flutterwave. One payment is refunded in part. At the end the demo checks that every
payment completed, that the tenant's ledger balance equals amounts − provider fees −
refunds, that every expected event arrived with a valid signature (and a forged one was
refused), and that the payments after the outage went to Flutterwave. Exit status 1 on any
discrepancy.

It talks to the platform over HTTP only (import-linter: the demo imports no platform module).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from standardwebhooks import Webhook

from kro.demo.client import Api, DemoFailure, expect, wait_for

CURRENCY = "NGN"
PASSWORD = "demo-password-123"
# Kobo. The first two go through Paystack, the last two through Flutterwave (Paystack down).
AMOUNTS = (1_500_000, 750_000, 4_200_000, 320_000)
REFUND = 600_000  # ₦6,000 of the first payment, once Paystack is back
PROVIDERS = (("paystack", 1), ("flutterwave", 2))
WAIT = 45.0  # seconds any single wait may take before the demo gives up
POLL = 0.5  # seconds between polls: the key's rate limit (KRO_API_RATE_LIMIT) is shared


def naira(kobo: int) -> str:
    """Minor units as naira, exact (Decimal, never a float): 150000 → ``₦1,500.00``."""
    value = Decimal(kobo).scaleb(-2)
    return f"₦{value:,.2f}" if kobo >= 0 else f"-₦{-value:,.2f}"


class _PatientTransport(httpx.HTTPTransport):
    """Waits out ``429 rate_limited`` (``Retry-After`` seconds) instead of failing: the merchant
    API limits each key (``KRO_API_RATE_LIMIT``), and a well-behaved client backs off."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(10):
            response = super().handle_request(request)
            if response.status_code != 429:
                return response
            response.read()
            time.sleep(min(float(response.headers.get("retry-after", "1")), 30.0))
        return response


def poll(what: str, check: Callable[[], Any]) -> Any:
    """:func:`wait_for` at an API-friendly pace: ``check`` every :data:`POLL` seconds."""

    def paced() -> Any:
        value = check()
        if not value:
            time.sleep(POLL)
        return value

    return wait_for(what, paced, timeout=WAIT)


# -- the webhook receiver ------------------------------------------------------------------


@dataclass
class Receiver:
    """A merchant's webhook endpoint on a free local port: every delivery is verified with
    ``standardwebhooks.Webhook(secret).verify(body, headers)``; verified events are recorded
    once per ``webhook-id`` (deliveries are at least once), anything else is answered 400."""

    host: str = "127.0.0.1"
    secret: str = ""
    verified: dict[str, dict[str, Any]] = field(default_factory=dict)  # webhook-id → payload
    invalid: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/webhooks/kro"

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                ok = receiver.accept(body, dict(self.headers.items()))
                self.send_response(200 if ok else 400)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if ok else b"invalid signature")

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: the demo prints what matters

        server = ThreadingHTTPServer((self.host, 0), Handler)
        self.port = int(server.server_address[1])
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    def accept(self, body: bytes, headers: dict[str, str]) -> bool:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except Exception:  # any malformed or forged delivery is refused
            with self.lock:
                self.invalid += 1
            return False
        message_id = {k.lower(): v for k, v in headers.items()}["webhook-id"]
        with self.lock:
            self.verified[message_id] = payload
        return True

    def seen(self, event_type: str) -> list[dict[str, Any]]:
        """The ``data`` of each verified event of ``event_type``."""
        with self.lock:
            return [p["data"] for p in self.verified.values() if p.get("type") == event_type]

    def counts(self) -> dict[str, int]:
        with self.lock:
            types = [str(p.get("type")) for p in self.verified.values()]
        return {t: types.count(t) for t in sorted(set(types))}


# -- the demo ------------------------------------------------------------------------------


class GatewayDemo:
    def __init__(self, base_url: str, receiver_host: str = "127.0.0.1") -> None:
        self.api = Api(base_url)
        self.api.http = httpx.Client(
            base_url=self.api.base_url, timeout=30.0, transport=_PatientTransport()
        )
        self.console = Console(width=130)
        self.receiver = Receiver(host=receiver_host)
        self.step_no = 0
        self.payments: list[dict[str, Any]] = []
        self.refund: dict[str, Any] = {}

    def step(self, text: str) -> None:
        self.step_no += 1
        self.console.print(f"[bold cyan]{self.step_no:>2}.[/] {text}")

    def say(self, text: str) -> None:
        self.console.print(f"    {text}")

    # -- setup ----------------------------------------------------------------------------

    def sign_up(self) -> tuple[Api, Api, str]:
        """A new user, their tenant and a test key: (owner API, key API, tenant id)."""
        email = f"merchant-{secrets.token_hex(4)}@demo.kro.example.com"
        self.api.post(
            "/v1/auth/register",
            {"email": email, "password": PASSWORD, "full_name": "Ngozi Merchant"},
            expect=201,
        )
        tokens = self.api.post("/v1/auth/login", {"email": email, "password": PASSWORD})
        owner = self.api.as_user(tokens["access_token"])
        tenant = owner.post(
            "/v1/tenants",
            {"name": "Ngozi Foods Ltd"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            expect=201,
        )
        key = owner.post(
            f"/v1/tenants/{tenant['id']}/api-keys",
            {"mode": "test", "name": "demo"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            expect=201,
        )
        self.say(f"user {email}, tenant {tenant['id']} ({tenant['role']})")
        self.say(f"test key {key['secret'][:12]}… (shown once)")
        return owner, self.api.as_user(key["secret"]), str(tenant["id"])

    def configure(self, owner: Api, tenant_id: str) -> None:
        for provider, priority in PROVIDERS:
            config = owner.post(
                f"/v1/tenants/{tenant_id}/provider-configs",
                {
                    "provider": provider,
                    "mode": "test",
                    "priority": priority,
                    "currencies": [CURRENCY],
                },
                headers={"Idempotency-Key": str(uuid.uuid4())},
                expect=201,
            )
            creds = config["credentials"] or "the platform's sandbox keys"
            self.say(f"{provider:<12} priority {config['priority']}  credentials: {creds}")

    def register_receiver(self, key: Api) -> None:
        endpoint = key.post(
            "/v1/webhook-endpoints",
            {"url": self.receiver.url, "enabled_events": ["*"], "description": "demo receiver"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            expect=201,
        )
        expect(str(endpoint["secret"]).startswith("whsec_"), "no whsec_ secret returned")
        self.receiver.secret = endpoint["secret"]
        self.say(f"receiver {self.receiver.url} → endpoint {endpoint['id']}")
        # A forged delivery (signed with another secret) must be refused.
        forged = Webhook("whsec_" + "Zm9yZ2VkIGJ5IHNvbWVvbmUgZWxzZSEhISEhISEhISE=")
        body = json.dumps({"type": "payment.completed", "data": {"id": "pay_forged"}})
        stamp = int(time.time())
        signed_at = datetime.fromtimestamp(stamp, tz=UTC)
        headers = {
            "webhook-id": "msg_forged",
            "webhook-timestamp": str(stamp),
            "webhook-signature": forged.sign("msg_forged", signed_at, body),
            "content-type": "application/json",
        }
        r = httpx.post(self.receiver.url, content=body, headers=headers, timeout=5)
        expect(r.status_code == 400, f"the receiver accepted a forged delivery: {r.status_code}")
        self.say("a forged delivery (wrong secret) was refused with 400")

    # -- payments -------------------------------------------------------------------------

    def take_payment(self, key: Api, amount: int, n: int) -> dict[str, Any]:
        """``POST /v1/payments`` with an ``Idempotency-Key`` (and its replay), then the
        customer pays at the hosted page and we wait for ``completed``."""
        body = {
            "amount": amount,
            "currency": CURRENCY,
            "customer": {"email": f"customer{n}@example.com", "name": f"Customer {n}"},
            "reference": f"demo-{secrets.token_hex(4)}-{n}",
            "description": f"Order #{n}",
        }
        idem = {"Idempotency-Key": str(uuid.uuid4())}
        payment = key.post("/v1/payments", body, headers=idem, expect=201)
        replay = self.api.http.post(
            "/v1/payments", json=body, headers=idem | {"Authorization": f"Bearer {key.token}"}
        )
        expect(
            replay.status_code == 201 and replay.json()["data"]["id"] == payment["id"],
            f"Idempotency-Key replay did not return the first payment: {replay.text[:300]}",
        )
        expect(
            replay.headers.get("idempotent-replayed") == "true",
            "a replay does not say Idempotent-Replayed: true",
        )
        route = " → ".join(f"{a['provider']}: {a['outcome']}" for a in payment["routing"])
        self.say(
            f"{payment['id']} {naira(amount)} via [bold]{payment['provider']}[/] "
            f"({route}); status {payment['status']}; replay → same id"
        )
        expect(payment["status"] == "requires_action", f"payment is {payment['status']}")
        r = self.api.http.post(payment["next_action"]["url"] + "/pay")
        if r.status_code >= 400:
            raise DemoFailure(f"hosted page pay failed: {r.status_code} {r.text[:300]}")
        done = self.wait_status(key, payment["id"], "completed")
        self.say(f"    completed; provider fee {naira(done['fee'])}")
        self.payments.append(done)
        return done  # type: ignore[no-any-return]

    def wait_status(self, key: Api, payment_id: str, status: str) -> Any:
        def reached() -> Any:
            found = key.get(f"/v1/payments/{payment_id}")
            if found["status"] in ("failed", "canceled") and found["status"] != status:
                raise DemoFailure(f"{payment_id} is {found['status']}: {found['failure_reason']}")
            return found if found["status"] == status else None

        return poll(f"{payment_id} {status}", reached)

    def set_faults(self, provider: str, faults: dict[str, Any] | None) -> None:
        path = f"/sandbox/{provider}/_sandbox/faults"
        r = self.api.http.delete(path) if faults is None else self.api.http.put(path, json=faults)
        if r.status_code >= 300:
            raise DemoFailure(f"sandbox fault switch: {r.status_code} {r.text[:300]}")

    def show_health(self, key: Api) -> None:
        table = Table("provider", "state", "available", "failures in a row")
        for h in key.get("/v1/providers/health"):
            table.add_row(h["provider"], h["state"], str(h["available"]), str(h["failure_count"]))
        self.console.print(table)

    def refund_one(self, key: Api, payment: dict[str, Any]) -> None:
        refund = key.post(
            f"/v1/payments/{payment['id']}/refunds",
            {"amount": REFUND, "reason": "one item out of stock"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            expect=201,
        )
        self.say(f"{refund['id']} {naira(refund['amount'])} of {payment['id']}: {refund['status']}")
        self.refund = poll(
            "refund processed",
            lambda: (r := key.get(f"/v1/refunds/{refund['id']}"))["status"] == "processed" and r,
        )
        after = self.wait_status(key, payment["id"], "partially_refunded")
        self.payments = [after if p["id"] == after["id"] else p for p in self.payments]
        self.say(f"processed at {self.refund['processed_at']}; payment is {after['status']}")

    def count_events(self, key: Api) -> int:
        total, cursor = 0, ""
        while True:
            page = key.get("/v1/events?limit=100" + (f"&cursor={cursor}" if cursor else ""))
            total += len(page)
            cursor = (key.last_meta.get("pagination") or {}).get("next_cursor") or ""
            if not cursor:
                return total

    def wait_webhooks(self) -> None:
        ids = {p["id"] for p in self.payments}

        def all_in() -> bool:
            paid = {d["id"] for d in self.receiver.seen("payment.completed")}
            refunded = {d["id"] for d in self.receiver.seen("refund.completed")}
            return ids <= paid and self.refund["id"] in refunded

        wait_for("webhooks at the receiver", all_in, timeout=WAIT)
        for event_type, n in self.receiver.counts().items():
            self.say(f"{event_type:<26} {n} verified")

    # -- the end --------------------------------------------------------------------------

    def summary(self, key: Api) -> list[dict[str, Any]]:
        table = Table("payment", "provider", "amount", "fee", "refunded", "status", "webhooks")
        for p in self.payments:
            got = sum(
                1
                for payload in self.receiver.verified.values()
                if (payload.get("data") or {}).get("id") == p["id"]
            )
            table.add_row(
                p["id"],
                p["provider"],
                naira(p["amount"]),
                naira(p["fee"]),
                naira(p["amount_refunded"]),
                p["status"],
                str(got),
            )
        self.console.print(table)
        balances: list[dict[str, Any]] = key.get("/v1/balance")
        table = Table("currency", "available", "pending", "credits posted", "debits posted")
        for b in balances:
            table.add_row(
                b["currency"],
                naira(b["available"]),
                naira(b["pending"]),
                naira(b["credits_posted"]),
                naira(b["debits_posted"]),
            )
        self.console.print(table)
        return balances

    def check(self, balances: list[dict[str, Any]]) -> None:
        problems: list[str] = []
        for p in self.payments:
            if p["status"] not in ("completed", "partially_refunded"):
                problems.append(f"{p['id']} is {p['status']}")
        for p in self.payments[2:]:
            if p["provider"] != "flutterwave":
                problems.append(f"{p['id']} went to {p['provider']} during the outage")
        collected = sum(p["amount"] for p in self.payments)
        fees = sum(p["fee"] for p in self.payments)
        refunded = self.refund["amount"]
        expected = collected - fees - refunded
        ngn = next((b for b in balances if b["currency"] == CURRENCY), None)
        if ngn is None:
            problems.append("no NGN balance")
        else:
            if ngn["available"] != expected:
                problems.append(f"balance {naira(ngn['available'])} ≠ {naira(expected)}")
            if (ngn["credits_posted"], ngn["debits_posted"]) != (collected, fees + refunded):
                problems.append(f"ledger counters off: {ngn}")
        paid = {d["id"] for d in self.receiver.seen("payment.completed")}
        missing = [p["id"] for p in self.payments if p["id"] not in paid]
        if missing:
            problems.append(f"no verified payment.completed for {missing}")
        if self.refund["id"] not in {d["id"] for d in self.receiver.seen("refund.completed")}:
            problems.append("no verified refund.completed")
        if self.receiver.invalid != 1:  # the one forged delivery the demo sent itself
            problems.append(f"{self.receiver.invalid - 1} platform deliveries failed to verify")
        self.say(
            f"balance {naira(expected)} = collected {naira(collected)} − provider fees "
            f"{naira(fees)} − refunded {naira(refunded)}"
        )
        expect(not problems, "; ".join(problems))
        self.console.print("[bold green]Consistent: payments, ledger balance and webhooks.[/]")

    def run(self) -> None:
        with self.receiver.running():
            self.step("Register a user; create a tenant and a test-mode secret key")
            owner, key, tenant_id = self.sign_up()
            self.step("Configure Paystack (priority 1) and Flutterwave (priority 2) for NGN")
            self.configure(owner, tenant_id)
            self.step("Start a webhook receiver and register it (enabled_events: *)")
            self.register_receiver(key)
            self.step("Two payments; each customer pays at the hosted page")
            for n, amount in enumerate(AMOUNTS[:2], start=1):
                self.take_payment(key, amount, n)
            try:
                self.step("Paystack goes down (sandbox fault switch); two more payments")
                self.set_faults("paystack", {"down": True})
                for n, amount in enumerate(AMOUNTS[2:], start=3):
                    self.take_payment(key, amount, n)
                self.show_health(key)
            finally:
                self.set_faults("paystack", None)
                self.say("Paystack is back: fault cleared")
            # Paystack settles a refund by its refund.processed webhook within seconds; a
            # Flutterwave refund has no webhook and waits for our poll (KRO_GATEWAY_REFUND_POLL).
            self.step(f"Refund {naira(REFUND)} of the first payment (Paystack)")
            self.refund_one(key, self.payments[0])
            self.step("Wait for every webhook at the receiver (signatures verified)")
            self.wait_webhooks()
            self.say(f"GET /v1/events: {self.count_events(key)} events")
            self.step("Summary and the tenant's ledger balance (GET /v1/balance)")
            balances = self.summary(key)
            self.step("Consistency checks")
            self.check(balances)


def run(base_url: str, receiver_host: str = "127.0.0.1") -> int:
    demo = GatewayDemo(base_url, receiver_host)
    started = time.monotonic()
    try:
        demo.run()
    except DemoFailure as exc:
        demo.console.print(f"[bold red]DEMO FAILED:[/] {exc}")
        return 1
    demo.console.print(
        f"[bold green]Gateway demo succeeded[/] in {time.monotonic() - started:.1f} s."
    )
    return 0
