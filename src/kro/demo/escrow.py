"""``kro demo escrow``: one escrow order carried end to end over the HTTP API.

Two users; an order with two conditions; the seller accepts; the buyer pays through the
sandbox's hosted checkout; the seller starts and completes; the buyer fulfils both conditions;
the order closes and the money is released to the seller's wallet less the platform fee; the
seller adds a sandbox bank account and pays the whole balance out; ``transfer.success``
settles it. Then the balances of every account involved are printed and checked, and the
ledger invariant is asked of the server. Exit status 1 on any discrepancy.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from kro.demo.client import Api, DemoFailure, expect, wait_for

AMOUNT = 25_000_000  # ₦250,000.00 in kobo
CURRENCY = "NGN"
PASSWORD = "demo-password-123"
# A sandbox test account (kro.sandbox.paystack): GTBank 058, resolves to a name.
BANK_CODE = "058"
ACCOUNT_NUMBER = "0000000002"


def naira(kobo: int) -> str:
    return f"₦{kobo / 100:,.2f}" if kobo >= 0 else f"-₦{-kobo / 100:,.2f}"


class EscrowDemo:
    def __init__(self, base_url: str, admin_email: str, admin_password: str) -> None:
        self.api = Api(base_url)
        self.console = Console(width=130)
        self.admin_email = admin_email
        self.admin_password = admin_password
        self.step_no = 0

    def step(self, text: str) -> None:
        self.step_no += 1
        self.console.print(f"[bold cyan]{self.step_no:>2}.[/] {text}")

    def user(self, role: str) -> tuple[Api, dict[str, Any]]:
        email = f"{role}-{secrets.token_hex(4)}@demo.kro.example.com"
        full_name = {"buyer": "Ada Buyer", "seller": "Sola Seller"}[role]
        self.api.post(
            "/v1/auth/register",
            {"email": email, "password": PASSWORD, "full_name": full_name},
            expect=201,
        )
        api = self.login(email)
        return api, api.get("/v1/me")

    def login(self, email: str) -> Api:
        tokens = self.api.post("/v1/auth/login", {"email": email, "password": PASSWORD})
        return self.api.as_user(tokens["access_token"])

    def inbox(self, to: str) -> list[dict[str, Any]]:
        r = self.api.http.get("/sandbox/messaging/inbox/messages", params={"to": to})
        return list(r.json()["messages"]) if r.status_code == 200 else []

    def verify_phone(self, api: Api, phone: str) -> None:
        """Verify ``phone`` with the SMS code, read from the sandbox inbox."""
        sent = api.post("/v1/me/phone", {"phone": phone}, expect=202)
        number = sent["phone"].lstrip("+")
        text = wait_for(
            "SMS code",
            lambda: next((m["body"] for m in self.inbox(number) + self.inbox(sent["phone"])), ""),
        )
        code = re.search(r"\b(\d{6})\b", text)
        expect(code is not None, f"no code in {text!r}")
        assert code is not None
        api.post("/v1/me/phone/verify", {"code": code.group(1)})
        self.console.print(f"    {sent['phone']} verified with the code from the SMS")

    def print_inbox(self, *recipients: str) -> None:
        """What each party received, from the messaging sandbox's inbox (after the worker has
        sent what is queued)."""
        time.sleep(2)
        for email in recipients:
            r = self.api.http.get("/sandbox/messaging/inbox/messages", params={"to": email})
            if r.status_code != 200:
                self.console.print(f"    (no sandbox inbox: {r.status_code})")
                return
            rows = sorted(r.json()["messages"], key=lambda m: m["created_at"])
            self.console.print(f"    [bold]{email}[/] received {len(rows)} message(s):")
            for m in rows:
                text = m.get("subject") or (m.get("body") or "").splitlines()[0][:70]
                self.console.print(f"      {m['channel']:<5} via {m['provider']:<8} {text}")

    def admin(self) -> Api:
        tokens = self.api.post(
            "/v1/admin/auth/login", {"email": self.admin_email, "password": self.admin_password}
        )
        return self.api.as_user(tokens["access_token"])

    def platform_balances(self, admin: Api) -> dict[str, dict[str, Any]]:
        rows = admin.get(f"/v1/admin/ledger/accounts?scope=platform&currency={CURRENCY}")
        return {row["code"]: row for row in rows}

    def run(self) -> None:
        """The happy path: order, checkout, release, payout."""
        admin = self.admin()
        before = self.platform_balances(admin)

        self.step("Register a buyer and a seller")
        buyer, buyer_me = self.user("buyer")
        seller, seller_me = self.user("seller")
        self.console.print(f"    buyer {buyer_me['email']}  seller {seller_me['email']}")

        self.step(f"Buyer creates an order for {naira(AMOUNT)} with two conditions")
        order = buyer.post(
            "/v1/escrow/orders",
            {
                "seller_email": seller_me["email"],
                "title": "Logo and brand guide",
                "description": "A logo in three formats and a two-page brand guide",
                "amount": AMOUNT,
                "currency": CURRENCY,
                "conditions": [
                    {"description": "Logo delivered as SVG, PNG and PDF"},
                    {"description": "Brand guide delivered as PDF"},
                ],
            },
            expect=201,
        )
        oid = order["id"]
        expect(order["status"] == "created", f"new order is {order['status']}")
        self.console.print(
            f"    {oid}: fee {naira(order['fee']['total'])} paid by {order['fee']['payer']}"
        )

        self.step("Seller accepts")
        expect(seller.post(f"/v1/escrow/orders/{oid}/accept")["status"] == "accepted", "accept")

        self.step("Buyer opens the Paystack checkout and pays")
        checkout = buyer.post(f"/v1/escrow/orders/{oid}/pay")
        self.console.print(
            f"    {checkout['authorization_url']}  (reference {checkout['reference']})"
        )
        r = self.api.http.post(checkout["authorization_url"] + "/pay", json={})
        if r.status_code >= 400:
            raise DemoFailure(f"checkout pay failed: {r.status_code} {r.text[:300]}")

        self.step("Wait for charge.success → verify → funded (escrow hold)")
        wait_for(
            "order funded",
            lambda: buyer.get(f"/v1/escrow/orders/{oid}")["status"] == "funded",
        )
        order = buyer.get(f"/v1/escrow/orders/{oid}")
        expect(order["amounts"]["held"] == order["amounts"]["buyer_pays"], "held != paid")
        wallet = seller.get("/v1/wallet")
        self.console.print(f"    held {naira(order['amounts']['held'])}; seller wallet {wallet}")

        self.step("Seller starts the work, then marks it completed")
        expect(seller.post(f"/v1/escrow/orders/{oid}/start")["status"] == "in_progress", "start")
        expect(seller.post(f"/v1/escrow/orders/{oid}/complete")["status"] == "completed", "done")

        self.step("Buyer fulfils both conditions → order closes, money released")
        for cond in order["conditions"]:
            order = buyer.post(f"/v1/escrow/orders/{oid}/conditions/{cond['id']}/fulfil")
        expect(order["status"] == "closed", f"order is {order['status']}, not closed")
        expect(order["amounts"]["held"] == 0, "money still held after close")
        released = order["amounts"]["released"]
        expect(released == AMOUNT - order["fee"]["seller"], "released amount is off")
        balance = self._wallet(seller)
        expect(balance["available"] == released, f"seller wallet {balance} != {released}")
        self.console.print(f"    released {naira(released)} to the seller's wallet")

        self.step("Seller adds a bank account (name enquiry) and requests a payout")
        banks = seller.get("/v1/banks")
        expect(any(b["code"] == BANK_CODE for b in banks), "sandbox bank missing")
        account = seller.post(
            "/v1/bank-accounts",
            {"bank_code": BANK_CODE, "account_number": ACCOUNT_NUMBER},
            expect=(200, 201),
        )
        self.console.print(
            f"    {account['bank_name']} {account['account_number']} → {account['account_name']}"
        )
        key = secrets.token_hex(12)
        body = {"amount": released, "currency": CURRENCY, "bank_account_id": account["id"]}
        payout = seller.post("/v1/payouts", body, headers={"Idempotency-Key": key}, expect=(201,))
        again = seller.post("/v1/payouts", body, headers={"Idempotency-Key": key}, expect=(201,))
        expect(again["id"] == payout["id"], "idempotent payout created twice")
        held = self._wallet(seller)
        expect(held["available"] == 0 and held["held"] == released, f"hold not placed: {held}")

        self.step("Wait for transfer.success → payout settled")
        final = wait_for(
            "payout success",
            lambda: (p := seller.get(f"/v1/payouts/{payout['id']}"))["status"] == "success" and p,
        )
        self.console.print(f"    {final['id']} {final['status']} ({final['transfer_code']})")
        after = self._wallet(seller)
        expect(after["available"] == 0 and after["held"] == 0, f"wallet after payout: {after}")

        self.step("Balances of every account involved")
        self.report(admin, buyer_me["id"], seller_me["id"], oid, before, order)
        self.step("What the buyer and the seller were told (sandbox inbox)")
        self.print_inbox(buyer_me["email"], seller_me["email"])

    def _wallet(self, api: Api) -> dict[str, int]:
        for row in api.get("/v1/wallet"):
            if row["currency"] == CURRENCY:
                return row  # type: ignore[no-any-return]
        return {"available": 0, "pending": 0, "held": 0}

    def report(
        self,
        admin: Api,
        buyer_id: str,
        seller_id: str,
        order_id: str,
        before: dict[str, dict[str, Any]],
        order: dict[str, Any],
    ) -> None:
        rows = admin.get(f"/v1/admin/ledger/accounts?scope=order&order_id={order_id}")
        for owner in (buyer_id, seller_id):
            if owner:
                rows += admin.get(f"/v1/admin/ledger/accounts?owner_id={owner}")
        after = self.platform_balances(admin)
        table = Table("account", "debits", "credits", "balance", "change in this demo")
        for row in rows + list(after.values()):
            prev = before.get(row["code"], {"balance": 0})["balance"]
            change = row["balance"] - prev if row["code"] in after else row["balance"]
            table.add_row(
                row["code"],
                naira(row["debits_posted"]),
                naira(row["credits_posted"]),
                naira(row["balance"]),
                naira(change),
            )
        self.console.print(table)
        fee_rev = next(c for c in after if c.startswith("platform:fees:"))
        gained = after[fee_rev]["balance"] - before.get(fee_rev, {"balance": 0})["balance"]
        expect(gained >= order["fee"]["total"], "platform fee revenue did not grow by the fee")
        for row in rows:
            if row["code"].startswith("escrow:"):
                expect(row["balance"] == 0, f"escrow account not empty: {row}")
        check = admin.get("/v1/admin/ledger/invariants")
        expect(check["ok"], f"ledger invariant broken: {check['problems']}")
        self.console.print(
            "[bold green]Ledger invariant holds: debits = credits per currency, "
            "every balance = sum of its transfers.[/]"
        )


class DisputeDemo(EscrowDemo):
    """Issue reported, escalated, an admin with TOTP splits 70/30, the refund is settled."""

    def run(self) -> None:
        import pyotp

        root = self.admin()
        before = self.platform_balances(root)
        self.step("Register a buyer and a seller; ₦100,000 order, accepted and paid by card")
        buyer, buyer_me = self.user("buyer")
        seller, seller_me = self.user("seller")
        phone = f"+23480{secrets.randbelow(10**8):08d}"
        self.verify_phone(buyer, phone)
        oid = self.funded_order(buyer, seller, seller_me["email"], 10_000_000)
        expect(seller.post(f"/v1/escrow/orders/{oid}/start")["status"] == "in_progress", "start")

        self.step("Buyer reports an issue; the seller answers; the buyer escalates")
        buyer.post(f"/v1/escrow/orders/{oid}/issues", {"body": "Only half of the pages work"})
        seller.post(
            f"/v1/escrow/orders/{oid}/messages", {"body": "All pages were delivered"}, expect=201
        )
        order = buyer.post(f"/v1/escrow/orders/{oid}/escalate", {"body": "Please decide"})
        expect(order["status"] == "disputed", f"order is {order['status']}")

        self.step("A new admin enrols TOTP and resolves: 70 % to the seller, the rest refunded")
        email = f"admin-{secrets.token_hex(4)}@demo.kro.example.com"
        password = secrets.token_urlsafe(16)
        root.post(
            "/v1/admin/users",
            {"email": email, "password": password, "full_name": "Demo Admin", "role": "admin"},
            expect=201,
        )
        token = self.api.post("/v1/admin/auth/login", {"email": email, "password": password})
        admin = self.api.as_user(token["access_token"])
        totp = pyotp.TOTP(admin.post("/v1/admin/totp/enrol")["secret"])
        now = admin.server_time()  # TOTP follows the server's clock
        admin.post("/v1/admin/totp/confirm", {"code": totp.at(now)})
        seller_amount = (order["amounts"]["seller_receives"] * 70) // 100
        code = totp.at(now + 30)  # the next step: the current one was used
        order = admin.post(
            f"/v1/admin/escrow/orders/{oid}/resolve",
            {
                "outcome": "split",
                "seller_amount": seller_amount,
                "note": "70/30",
                "totp_code": code,
            },
        )
        expect(order["status"] == "closed", f"order is {order['status']}")
        self.console.print(
            f"    seller gets {naira(order['amounts']['released'])}, "
            f"buyer refunded {naira(order['amounts']['refunded'])}"
        )

        self.step("Wait for refund.processed from Paystack")
        wait_for(
            "refund processed",
            lambda: buyer.get(f"/v1/escrow/orders/{oid}")["refunds"][0]["status"] == "processed",
        )
        expect(self._wallet(seller)["available"] == seller_amount, "seller wallet is off")
        self.report(root, "", seller_me["id"], oid, before, order)
        self.step("What the buyer and the seller were told (sandbox inbox)")
        self.print_inbox(buyer_me["email"], phone.lstrip("+"), seller_me["email"])

    def funded_order(self, buyer: Api, seller: Api, seller_email: str, amount: int) -> str:
        order = buyer.post(
            "/v1/escrow/orders",
            {
                "seller_email": seller_email,
                "title": "Company website",
                "amount": amount,
                "currency": CURRENCY,
                "conditions": [{"description": "Five pages live"}],
            },
            expect=201,
        )
        oid: str = order["id"]
        seller.post(f"/v1/escrow/orders/{oid}/accept")
        checkout = buyer.post(f"/v1/escrow/orders/{oid}/pay")
        r = self.api.http.post(checkout["authorization_url"] + "/pay", json={})
        if r.status_code >= 400:
            raise DemoFailure(f"checkout pay failed: {r.status_code} {r.text[:300]}")
        wait_for("funded", lambda: buyer.get(f"/v1/escrow/orders/{oid}")["status"] == "funded")
        return oid


class AutoReleaseDemo(DisputeDemo):
    """Completed, the buyer stays silent, the inspection period passes on a moved clock."""

    def run(self) -> None:
        root = self.admin()
        self.step("₦100,000 order, paid, started and completed by the seller")
        buyer, buyer_me = self.user("buyer")
        seller, seller_me = self.user("seller")
        oid = self.funded_order(buyer, seller, seller_me["email"], 10_000_000)
        seller.post(f"/v1/escrow/orders/{oid}/start")
        order = seller.post(f"/v1/escrow/orders/{oid}/complete")
        self.console.print(f"    inspection period ends {order['inspection_ends_at']}")

        self.step("The buyer says nothing; the server's clock moves past the inspection period")
        root.post("/v1/dev/clock/advance", {"seconds": order["inspection_days"] * 86400 + 120})

        self.step("The worker releases the money to the seller (conditions deemed fulfilled)")
        seller = self.login(seller_me["email"])  # the old tokens expired with the clock move
        order = wait_for(
            "auto release",
            lambda: (o := seller.get(f"/v1/escrow/orders/{oid}"))["status"] == "closed" and o,
            timeout=120,
        )
        expect(order["transitions"][-1]["action"] == "auto_release", "not auto-released")
        released = self._wallet(seller)["available"]
        expect(released == order["amounts"]["seller_receives"], f"seller wallet {released}")
        self.console.print(f"    released {naira(released)} to the seller")
        root = self.admin()
        check = root.get("/v1/admin/ledger/invariants")
        expect(check["ok"], f"ledger invariant broken: {check['problems']}")
        self.step("What the buyer and the seller were told (sandbox inbox)")
        self.print_inbox(buyer_me["email"], seller_me["email"])


class BankTransferDemo(DisputeDemo):
    """Funded by a transfer into a Providus dynamic account, with an over-payment."""

    def run(self) -> None:
        root = self.admin()
        self.step("₦50,000 order, accepted; the buyer chooses bank transfer")
        buyer, buyer_me = self.user("buyer")
        seller, seller_me = self.user("seller")
        order = buyer.post(
            "/v1/escrow/orders",
            {
                "seller_email": seller_me["email"],
                "title": "Logo",
                "amount": 5_000_000,
                "currency": CURRENCY,
                "conditions": [{"description": "Logo delivered"}],
            },
            expect=201,
        )
        oid = order["id"]
        seller.post(f"/v1/escrow/orders/{oid}/accept")
        pay = buyer.post(f"/v1/escrow/orders/{oid}/pay", {"method": "bank_transfer"})
        self.console.print(
            f"    transfer {naira(pay['amount'])} to {pay['bank_name']} {pay['account_number']} "
            f"({pay['account_name']}) before {pay['account_expires_at']}"
        )

        extra = 100_000
        self.step(f"The buyer's bank sends {naira(pay['amount'] + extra)} (₦1,000 too much)")
        r = self.api.http.post(
            "/sandbox/providus/_sandbox/transfers",
            json={"account_number": pay["account_number"], "amount": pay["amount"] + extra},
        )
        if r.status_code >= 300:
            raise DemoFailure(f"sandbox transfer failed: {r.status_code} {r.text[:300]}")

        self.step("Providus's settlement is verified → funded; the excess goes to the wallet")
        wait_for("funded", lambda: buyer.get(f"/v1/escrow/orders/{oid}")["status"] == "funded")
        wallet = self._wallet(buyer)
        expect(wallet["available"] == extra, f"buyer wallet {wallet}, expected {extra}")
        self.console.print(f"    buyer's KRO balance: {naira(wallet['available'])}")

        self.step("Work done, condition fulfilled → released")
        seller.post(f"/v1/escrow/orders/{oid}/start")
        order = seller.post(f"/v1/escrow/orders/{oid}/complete")
        for cond in order["conditions"]:
            order = buyer.post(f"/v1/escrow/orders/{oid}/conditions/{cond['id']}/fulfil")
        expect(order["status"] == "closed", f"order is {order['status']}")
        check = root.get("/v1/admin/ledger/invariants")
        expect(check["ok"], f"ledger invariant broken: {check['problems']}")
        self.step("What the buyer and the seller were told (sandbox inbox)")
        self.print_inbox(buyer_me["email"], seller_me["email"])


SCENARIOS: dict[str, type[EscrowDemo]] = {
    "bank-transfer": BankTransferDemo,
    "happy": EscrowDemo,
    "dispute": DisputeDemo,
    "auto-release": AutoReleaseDemo,
}


def run(base_url: str, admin_email: str, admin_password: str, scenario: str = "happy") -> int:
    demo = SCENARIOS[scenario](base_url, admin_email, admin_password)
    try:
        demo.run()
    except DemoFailure as exc:
        demo.console.print(f"[bold red]DEMO FAILED:[/] {exc}")
        return 1
    demo.console.print("[bold green]Escrow demo succeeded.[/]")
    return 0
