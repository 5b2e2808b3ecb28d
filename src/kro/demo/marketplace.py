"""``kro demo marketplace``: one services-marketplace order carried end to end over HTTP.

A seller verifies their identity (BVN and NIN looked up at Dojah's simulator, the name
matched; a second user whose name does not match is approved by an admin) and lists a service
with two packages; a buyer finds it by full-text search, orders the basic package and pays
at the sandbox's hosted checkout; then, by scenario:

- ``happy``: the buyer answers the requirements, the seller delivers, the buyer accepts,
  both review (double-blind) and the buyer tips (its own checkout); the clearance clock is
  moved (sandbox admin endpoint); the seller's earnings and tip become available and are
  withdrawn through the payouts core;
- ``revision``: as happy, with a revision asked and a second delivery, then an extra
  revision bought mid-order (its own checkout, held with the order) and a third delivery;
- ``late-cancel``: nothing is delivered; the clocks move past the due date and the grace;
  the buyer cancels the late order and is refunded in full;
- ``dispute``: the buyer disputes a delivery (the timers stop), the parties argue in the
  order's conversation, and an admin with a fresh TOTP splits: part of the seller's share
  to the seller, the rest refunded to the buyer.

After each scenario the money of every step is checked, and the ledger invariant is asked
of the server. Exit status 1 on any discrepancy.
"""

from __future__ import annotations

import secrets
from typing import Any

from rich.console import Console

from kro.demo.client import Api, DemoFailure, expect, wait_for

CURRENCY = "NGN"
PASSWORD = "demo-password-123"
PRICE = 5_000_000  # ₦50,000.00 in kobo
BANK_CODE = "058"  # a sandbox test account (kro.sandbox.paystack)
ACCOUNT_NUMBER = "0000000002"
DAY = 24 * 3600
M = "/v1/marketplace"


def naira(kobo: int) -> str:
    return f"₦{kobo / 100:,.2f}" if kobo >= 0 else f"-₦{-kobo / 100:,.2f}"


class MarketplaceDemo:
    def __init__(self, base_url: str, admin_email: str, admin_password: str, scenario: str):
        self.api = Api(base_url)
        self.console = Console(width=130)
        self.admin_email, self.admin_password = admin_email, admin_password
        self.scenario = scenario
        self.step_no = 0

    def step(self, text: str) -> None:
        self.step_no += 1
        self.console.print(f"[bold cyan]{self.step_no:>2}.[/] {text}")

    def user(self, role: str, full_name: str) -> tuple[Api, dict[str, Any]]:
        email = f"{role}-{secrets.token_hex(4)}@demo.kro.example.com"
        body = {"email": email, "password": PASSWORD, "full_name": full_name}
        self.api.post("/v1/auth/register", body, expect=201)
        tokens = self.api.post("/v1/auth/login", {"email": email, "password": PASSWORD})
        api = self.api.as_user(tokens["access_token"])
        return api, api.get("/v1/me")

    def admin(self) -> Api:
        body = {"email": self.admin_email, "password": self.admin_password}
        return self.api.as_user(self.api.post("/v1/admin/auth/login", body)["access_token"])

    def run(self) -> None:
        root = self.admin()
        self.step("Register a seller and a buyer")
        seller, _ = self.user("seller", "Sola Adeyemi")
        buyer, _ = self.user("buyer", "Ada Obi")

        self.step("The seller submits BVN and NIN: checked at Dojah (sandbox), name matched")
        sandbox = f"{self.api.base_url}/sandbox/dojah/_sandbox/identities"
        for kind, number in (("bvn", "22233334444"), ("nin", "12345678901")):
            record = {"kind": kind, "number": number, "first_name": "SOLA", "last_name": "ADEYEMI"}
            r = self.api.http.post(sandbox, json=record)
            if r.status_code != 201:
                raise DemoFailure(f"Dojah sandbox refused the record: {r.status_code} {r.text}")
        kyc = seller.post(
            "/v1/kyc", {"bvn": "22233334444", "nin": "12345678901", "full_name": "Sola Adeyemi"}
        )
        expect(kyc["status"] == "verified", f"KYC is {kyc['status']}")
        self.step("A second user's name does not match: an admin reviews and approves")
        other, other_me = self.user("seller", "Tunde Bakare")
        kyc = other.post(
            "/v1/kyc", {"bvn": "22233334444", "nin": "12345678901", "full_name": "Tunde Bakare"}
        )
        expect(kyc["status"] == "pending", f"KYC is {kyc['status']}")
        case = next(c for c in root.get("/v1/admin/kyc/cases") if c["user_id"] == other_me["id"])
        root.post(f"/v1/admin/kyc/cases/{case['id']}/approve")
        expect(other.get("/v1/kyc")["status"] == "verified", "KYC not approved")

        self.step("An admin adds a category; the seller lists a service with two packages")
        tag = secrets.token_hex(3)
        category = root.post(
            "/v1/admin/marketplace/categories", {"name": f"Logo design {tag}"}, expect=201
        )
        service = seller.post(
            f"{M}/services",
            {
                "category_id": category["id"],
                "title": f"Brand identity kit {tag}",
                "description": "A logo in three formats, a colour palette and a brand guide.",
                "tags": ["logo", "branding", tag],
                "requirements": ["Your brand name", "Colours you like"],
                "packages": [
                    {
                        "tier": "basic",
                        "name": "Basic",
                        "price": PRICE,
                        "delivery_days": 3,
                        "revisions": 1,
                        "includes": ["1 concept"],
                    },
                    {
                        "tier": "premium",
                        "name": "Premium",
                        "price": 3 * PRICE,
                        "delivery_days": 7,
                        "revisions": 3,
                        "includes": ["3 concepts"],
                    },
                ],
                "extras": [
                    {"title": "One more revision", "price": PRICE // 10, "extra_revisions": 1}
                ],
            },
            expect=201,
        )

        self.step("The buyer searches, orders the basic package and pays at the checkout")
        found = buyer.get(f"{M}/services?q=brand+identity+{tag}")
        expect([s["id"] for s in found] == [service["id"]], f"search found {found}")
        basic = next(p for p in service["packages"] if p["tier"] == "basic")
        order = buyer.post(
            f"{M}/orders", {"service_id": service["id"], "package_id": basic["id"]}, expect=201
        )
        oid = order["id"]
        self.console.print(
            f"    {oid}: price {naira(order['price'])} + service fee "
            f"{naira(order['service_fee'])} = {naira(order['buyer_pays'])}"
        )
        checkout = buyer.post(f"{M}/orders/{oid}/pay")
        expect(checkout["amount"] == order["buyer_pays"], "checkout amount is off")
        self.pay(checkout)
        wait_for("order paid", lambda: buyer.get(f"{M}/orders/{oid}")["status"] == "paid")
        order = buyer.post(
            f"{M}/orders/{oid}/requirements", {"answers": ["Kola Foods", "Green and gold"]}
        )
        expect(order["status"] == "in_progress", f"order is {order['status']}")

        if self.scenario == "late-cancel":
            self.late_cancel(root, buyer, oid)
        elif self.scenario == "dispute":
            self.dispute(root, buyer, seller, oid)
        else:
            self.complete(root, buyer, seller, oid, service)
        self.check_ledger(root)

    def pay(self, checkout: dict[str, Any]) -> None:
        """Pay at the sandbox's hosted checkout (what the payer's click does)."""
        r = self.api.http.post(checkout["authorization_url"] + "/pay", json={})
        if r.status_code >= 400:
            raise DemoFailure(f"checkout pay failed: {r.status_code} {r.text[:300]}")

    def buy_extra(self, buyer: Api, seller: Api, oid: str, service: dict[str, Any]) -> None:
        self.step("The buyer buys an extra revision mid-order (its own checkout); a third round")
        extra = service["extras"][0]
        self.pay(buyer.post(f"{M}/orders/{oid}/extras", {"extra_id": extra["id"]}, expect=201))
        wait_for(
            "extra held",
            lambda: any(e["status"] == "held" for e in buyer.get(f"{M}/orders/{oid}")["extras"]),
        )
        order = buyer.post(f"{M}/orders/{oid}/revision", {"message": "Now a square version"})
        expect(order["revisions_used"] == 2 == order["revisions_allowed"], "extra revision")
        seller.post(f"{M}/orders/{oid}/deliver", {"message": "Your kit, version 3"})

    def tip(self, buyer: Api, oid: str) -> int:
        self.step("The buyer tips the seller (its own checkout; all of it to the seller)")
        amount = PRICE // 25
        self.pay(buyer.post(f"{M}/orders/{oid}/tip", {"amount": amount}, expect=201))
        wait_for(
            "tip credited",
            lambda: [t["status"] for t in buyer.get(f"{M}/orders/{oid}")["tips"]] == ["clearing"],
        )
        self.console.print(f"    tip {naira(amount)}, pending clearance")
        return amount

    def complete(
        self, root: Api, buyer: Api, seller: Api, oid: str, service: dict[str, Any]
    ) -> None:
        self.step("The seller delivers")
        seller.post(f"{M}/orders/{oid}/deliver", {"message": "Your kit, version 1"})
        if self.scenario == "revision":
            self.step("The buyer asks for a revision; the seller delivers again")
            order = buyer.post(f"{M}/orders/{oid}/revision", {"message": "A bolder green"})
            expect(order["status"] == "in_progress" and order["revisions_used"] == 1, "revision")
            seller.post(f"{M}/orders/{oid}/deliver", {"message": "Your kit, version 2"})
            self.buy_extra(buyer, seller, oid, service)
        self.step("The buyer accepts; both review (double-blind)")
        order = buyer.post(f"{M}/orders/{oid}/accept")
        expect(order["status"] == "completed", f"order is {order['status']}")
        share = order["seller_earns"]
        earnings = seller.get(f"{M}/earnings")
        expect(earnings["pending_clearance"] >= share, f"pending clearance {earnings}")
        buyer.post(f"{M}/orders/{oid}/reviews", {"rating": 5, "comment": "Superb"}, expect=201)
        hidden = seller.get(f"{M}/orders/{oid}/reviews")
        expect(hidden == [], "the buyer's review showed before the seller's")
        seller.post(f"{M}/orders/{oid}/reviews", {"rating": 5, "comment": "Clear"}, expect=201)
        expect(len(seller.get(f"{M}/orders/{oid}/reviews")) == 2, "reviews not published")
        self.console.print(f"    seller earns {naira(share)}, pending clearance")
        if self.scenario == "happy":
            share += self.tip(buyer, oid)

        self.step("The clearance clock is moved 14 days (sandbox admin endpoint)")
        root.post(f"/v1/admin/marketplace/orders/{oid}/advance-clock", {"seconds": 14 * DAY + 60})
        earnings = seller.get(f"{M}/earnings")
        expect(earnings["available"] >= share, f"earnings did not clear: {earnings}")
        self.console.print(f"    available {naira(earnings['available'])}")

        self.step("The seller withdraws to a bank account (name enquiry, payout)")
        account = seller.post(
            "/v1/bank-accounts",
            {"bank_code": BANK_CODE, "account_number": ACCOUNT_NUMBER},
            expect=(200, 201),
        )
        body = {"amount": share, "currency": CURRENCY, "bank_account_id": account["id"]}
        payout = seller.post(
            "/v1/payouts", body, headers={"Idempotency-Key": secrets.token_hex(12)}, expect=201
        )
        wait_for(
            "payout success",
            lambda: seller.get(f"/v1/payouts/{payout['id']}")["status"] == "success",
        )
        self.console.print(f"    payout {payout['id']} of {naira(share)} settled")

    def late_cancel(self, root: Api, buyer: Api, oid: str) -> None:
        self.step("Nothing is delivered: the clocks move 4 days (due + 24 h grace)")
        order = root.post(
            f"/v1/admin/marketplace/orders/{oid}/advance-clock", {"seconds": 4 * DAY + 60}
        )
        expect(order["late"], "the order is not late")
        self.step("The buyer cancels the late order: refunded in full")
        order = buyer.post(f"{M}/orders/{oid}/cancel")
        expect(order["status"] == "cancelled", f"order is {order['status']}")
        expect(order["refunded"] == order["buyer_pays"], "refund is not the full amount")
        self.console.print(f"    refunded {naira(order['refunded'])}")

    def dispute(self, root: Api, buyer: Api, seller: Api, oid: str) -> None:
        import pyotp

        self.step("The seller delivers; the buyer disputes it (timers stop); both argue in chat")
        seller.post(f"{M}/orders/{oid}/deliver", {"message": "Done"})
        order = buyer.post(f"{M}/orders/{oid}/dispute", {"reason": "Only half of the brief"})
        expect(order["status"] == "disputed", f"order is {order['status']}")
        chat = next(c for c in seller.get("/v1/conversations") if c["subject_id"] == oid)
        seller.post(
            f"/v1/conversations/{chat['id']}/messages", {"body": "All was delivered"}, expect=201
        )
        self.step("A new admin enrols TOTP and splits: 60 % of the seller's share paid")
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
        now = admin.server_time()
        admin.post("/v1/admin/totp/confirm", {"code": totp.at(now)})
        share = order["seller_earns"]
        seller_amount = share * 60 // 100
        order = admin.post(
            f"/v1/admin/marketplace/orders/{oid}/resolve",
            {
                "outcome": "split",
                "note": "Half the brief was met",
                "seller_amount": seller_amount,
                "totp_code": totp.at(now + 30),
            },
        )
        expect(order["status"] == "completed", f"order is {order['status']}")
        expect(order["refunded"] == share - seller_amount, "the buyer's refund is off")
        earnings = seller.get(f"{M}/earnings")
        expect(earnings["pending_clearance"] >= seller_amount, f"seller's share {earnings}")
        self.console.print(
            f"    seller {naira(seller_amount)} (clearing), "
            f"buyer refunded {naira(order['refunded'])}"
        )

    def check_ledger(self, root: Api) -> None:
        check = root.get("/v1/admin/ledger/invariants")
        expect(check["ok"], f"ledger invariant broken: {check['problems']}")
        self.console.print("[bold green]Ledger invariant holds.[/]")


SCENARIOS = ("happy", "revision", "late-cancel", "dispute")


def run(base_url: str, admin_email: str, admin_password: str, scenario: str = "happy") -> int:
    """Run one scenario against ``base_url``; 0 on success, 1 on any discrepancy."""
    demo = MarketplaceDemo(base_url, admin_email, admin_password, scenario)
    try:
        demo.run()
    except DemoFailure as exc:
        demo.console.print(f"[bold red]DEMO FAILED:[/] {exc}")
        return 1
    demo.console.print(f"[bold green]Marketplace demo ({scenario}) succeeded.[/]")
    return 0
