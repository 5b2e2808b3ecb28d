"""``kro demo giving``: KROGiving carried end to end over the HTTP API (no platform import).

- ``keep-it-all``: an organizer creates a campaign, an admin approves it; three donors give
  without an account (one anonymous with the amount hidden, one with a tip and fee cover, one
  plain) at the sandbox's hosted checkout; the totals leave tips out; a receipt PDF is
  downloaded and its text checked; the organizer posts an update, passes KYC (an admin
  approves the case), withdraws; a new admin authorizes with TOTP; the payout settles.
- ``all-or-nothing-fails``: the campaign ends short of its goal and every donor is refunded
  through the provider.
- ``monthly``: a donor gives monthly at the checkout (a Paystack plan); the next month's
  charge is triggered in the sandbox and booked as a second donation with its own receipt; the
  donor, from the link in the receipt email (read in the sandbox's inbox), changes the amount
  and then stops the gift, without an account; the sandbox then refuses to charge it.

Both end by asking the server for the ledger invariant. Exit status 1 on any discrepancy.
"""

from __future__ import annotations

import io
import secrets
from typing import Any

from rich.console import Console

from kro.demo.client import Api, DemoFailure, expect, wait_for

SCENARIOS = ("keep-it-all", "all-or-nothing-fails", "monthly")
PASSWORD = "demo-password-123"
BANK_CODE = "058"  # a sandbox test account that resolves to a name
ACCOUNT_NUMBER = "0000000002"


def naira(kobo: int) -> str:
    return f"₦{kobo / 100:,.2f}"


class GivingDemo:
    def __init__(self, base_url: str, admin_email: str, admin_password: str) -> None:
        self.api = Api(base_url)
        self.console = Console(width=130)
        self.admin_email, self.admin_password = admin_email, admin_password
        self.step_no = 0

    def step(self, text: str) -> None:
        self.step_no += 1
        self.console.print(f"[bold cyan]{self.step_no:>2}.[/] {text}")

    def organizer(self) -> Api:
        email = f"organizer-{secrets.token_hex(4)}@demo.kro.example.com"
        self.api.post(
            "/v1/auth/register",
            {"email": email, "password": PASSWORD, "full_name": "Chidi Okafor"},
            expect=201,
        )
        tokens = self.api.post("/v1/auth/login", {"email": email, "password": PASSWORD})
        return self.api.as_user(tokens["access_token"])

    def root(self) -> Api:
        tokens = self.api.post(
            "/v1/admin/auth/login", {"email": self.admin_email, "password": self.admin_password}
        )
        return self.api.as_user(tokens["access_token"])

    def campaign(self, organizer: Api, root: Api, **extra: Any) -> dict[str, Any]:
        body = {
            "title": "Surgery for Ada",
            "category": "medical",
            "goal": 10_000_000,
            "story": "Ada needs heart surgery in Lagos before March; every naira helps.",
            **extra,
        }
        c = organizer.post("/v1/giving/my/campaigns", body, expect=201)
        organizer.post(f"/v1/giving/my/campaigns/{c['id']}/submit")
        c = root.post(f"/v1/admin/giving/campaigns/{c['id']}/review", {"action": "approve"})
        expect(c["status"] == "live", f"campaign is {c['status']}")
        self.console.print(f"    {c['id']} live, goal {naira(c['goal'])} ({c['funding_model']})")
        return dict(c)

    def give(self, campaign_id: str, name: str, amount: int, **extra: Any) -> dict[str, Any]:
        body = {
            "name": name,
            "email": f"{name.split()[0].lower()}-{secrets.token_hex(3)}@demo.kro.example.com",
            "amount": amount,
            **extra,
        }
        checkout = self.api.post(f"/v1/giving/campaigns/{campaign_id}/donations", body, expect=201)
        r = self.api.http.post(f"{checkout['authorization_url']}/pay")
        if r.status_code != 200:
            raise DemoFailure(f"sandbox checkout: {r.status_code} {r.text[:200]}")
        donation = checkout["donation"]
        path = f"/v1/giving/donations/{donation['id']}?token={donation['access_token']}"
        paid = wait_for(
            f"{name}'s donation paid", lambda: (d := self.api.get(path))["status"] == "paid" and d
        )
        self.console.print(
            f"    {name}: {naira(paid['amount'])} + tip {naira(paid['tip'])} "
            f"+ cover {naira(paid['cover'])} = {naira(paid['total'])}, "
            f"receipt {paid['receipt_number']}"
        )
        return dict(paid)

    def invariant(self, root: Api) -> None:
        check = root.get("/v1/admin/ledger/invariants")
        expect(check["ok"], f"ledger invariant broken: {check['problems']}")
        self.console.print("[bold green]Ledger invariant holds.[/]")

    def totp_admin(self, root: Api) -> tuple[Api, Any, float]:
        import pyotp

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
        return admin, totp, now

    def run(self) -> None:
        root = self.root()
        self.step("An organizer creates a campaign; an admin approves it")
        organizer = self.organizer()
        c = self.campaign(organizer, root)
        cid = c["id"]

        self.step("Three donors give without an account, at the sandbox checkout")
        anon = self.give(cid, "Amaka Eze", 500_000, tip=0, anonymous=True, hide_amount=True)
        covered = self.give(
            cid, "Bola Ade", 1_000_000, tip=150_000, cover_fees=True, message="Get well, Ada"
        )
        plain = self.give(cid, "Tunde Bello", 200_000)
        c = organizer.get(f"/v1/giving/my/campaigns/{cid}")
        raised = anon["amount"] + covered["amount"] + plain["amount"]
        expect(c["raised"] == raised, f"raised {c['raised']} != {raised} (tips must be out)")
        self.console.print(
            f"    raised {naira(c['raised'])}, {c['donors']} donors, "
            f"available {naira(c['available'])}"
        )
        wall = self.api.get(f"/v1/giving/campaigns/{cid}/donors")
        expect(any(w["name"] == "Anonymous" and w["amount"] is None for w in wall), "wall")

        self.step("Download Bola's receipt and read it back")
        r = self.api.http.get(
            f"/v1/giving/donations/{covered['id']}/receipt.pdf",
            params={"token": covered["access_token"]},
        )
        expect(r.status_code == 200, f"receipt: {r.status_code}")
        from pypdf import PdfReader

        text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(r.content)).pages)
        for needle in (covered["receipt_number"], "Bola Ade", "ten thousand naira", "₦1,500.00"):
            expect(needle in text, f"receipt lacks {needle!r}")
        self.console.print(f"    {covered['receipt_number']}: {len(r.content)} bytes, text checked")

        self.step("The organizer posts an update")
        organizer.post(
            f"/v1/giving/my/campaigns/{cid}/updates",
            {"title": "Surgery booked", "body": "Thank you all."},
            expect=201,
        )

        self.step("The organizer passes KYC (an admin approves the case)")
        organizer.post(
            "/v1/kyc", {"bvn": "22222222222", "nin": "11111111111", "full_name": "Chidi Okafor"}
        )
        me = organizer.get("/v1/me")
        if organizer.get("/v1/kyc")["status"] != "verified":
            case = next(k for k in root.get("/v1/admin/kyc/cases") if k["user_id"] == me["id"])
            root.post(f"/v1/admin/kyc/cases/{case['id']}/approve", {})
        expect(organizer.get("/v1/kyc")["status"] == "verified", "KYC not verified")

        self.step("The organizer withdraws the balance; an admin authorizes with TOTP")
        account = organizer.post(
            "/v1/bank-accounts",
            {"bank_code": BANK_CODE, "account_number": ACCOUNT_NUMBER},
            expect=201,
        )
        available = organizer.get(f"/v1/giving/my/campaigns/{cid}")["available"]
        w = organizer.post(
            f"/v1/giving/my/campaigns/{cid}/withdrawals",
            {"amount": available, "bank_account_id": account["id"]},
            expect=201,
        )
        admin, totp, now = self.totp_admin(root)
        w = admin.post(
            f"/v1/admin/giving/withdrawals/{w['id']}/decision",
            {"approve": True, "totp_code": totp.at(now + 30)},
        )
        expect(w["status"] == "processing", f"withdrawal is {w['status']}")
        wait_for(
            "withdrawal transferred",
            lambda: (
                organizer.get(f"/v1/giving/my/withdrawals/{w['id']}")["status"] == "transferred"
            ),
        )
        self.console.print(f"    {naira(available)} transferred to the organizer's bank account")
        expect(organizer.get(f"/v1/giving/my/campaigns/{cid}")["available"] == 0, "balance left")
        self.invariant(root)


class AllOrNothingFailsDemo(GivingDemo):
    def run(self) -> None:
        root = self.root()
        self.step("An all-or-nothing campaign goes live")
        organizer = self.organizer()
        cid = self.campaign(organizer, root, funding_model="all_or_nothing")["id"]
        self.step("Two donors give; far short of the goal")
        gifts = [
            self.give(cid, "Amaka Eze", 1_000_000, tip=100_000, cover_fees=True),
            self.give(cid, "Tunde Bello", 300_000),
        ]
        self.step("The campaign ends: it failed, every donor is refunded")
        c = root.post(f"/v1/admin/giving/campaigns/{cid}/end")
        expect(c["status"] == "failed", f"campaign is {c['status']}")
        for g in gifts:
            d = self.api.get(f"/v1/giving/donations/{g['id']}?token={g['access_token']}")
            expect(d["status"] == "refunded", f"{g['id']} is {d['status']}")
            self.console.print(f"    {d['donor_name']}: {naira(d['total'])} refunded")
        c = organizer.get(f"/v1/giving/my/campaigns/{cid}")
        expect(c["raised"] == 0 and c["available"] == 0, f"campaign still holds {c}")
        self.invariant(root)


class MonthlyDemo(GivingDemo):
    def run(self) -> None:
        root = self.root()
        self.step("A campaign goes live")
        organizer = self.organizer()
        cid = self.campaign(organizer, root)["id"]

        self.step("Chioma gives ₦5,000 every month (a Paystack plan at the checkout)")
        first = self.give(cid, "Chioma Obi", 500_000, tip=0, monthly=True)
        email = first["donor_email"]
        manage = self.manage_link(email, first["receipt_number"])
        gift_id, token = manage.split("/giving/monthly/", 1)[1].split("?token=", 1)
        gift = wait_for(
            "monthly gift active",
            lambda: (
                (g := self.api.get(f"/v1/giving/monthly/{gift_id}?token={token}"))["status"]
                == "active"
                and g
            ),
        )
        self.console.print(f"    {gift['id']}: {naira(gift['total'])} a month, {gift['status']}")

        self.step("A month later Paystack charges the saved card (triggered in the sandbox)")
        code = self.subscription_code(email)
        r = self.api.http.post(f"/sandbox/paystack/_sandbox/subscriptions/{code}/renew")
        expect(r.status_code == 200, f"sandbox renewal: {r.status_code} {r.text[:200]}")
        c = wait_for(
            "the second month booked",
            lambda: (m := organizer.get(f"/v1/giving/my/campaigns/{cid}"))["donors"] == 2 and m,
        )
        expect(c["raised"] == 1_000_000, f"raised {c['raised']} after two months")
        self.console.print(f"    raised {naira(c['raised'])} from {c['donors']} monthly gifts")

        self.step("From the link in the receipt, Chioma changes it to ₦7,500, then stops it")
        gift = self.api.post(
            f"/v1/giving/monthly/{gift_id}/amount", {"token": token, "amount": 750_000}
        )
        expect(gift["total"] == 750_000, f"new monthly total {gift['total']}")
        new_code = self.subscription_code(email)
        expect(new_code != code, "the new amount is a new subscription")
        gift = self.api.post(f"/v1/giving/monthly/{gift_id}/cancel", {"token": token})
        expect(gift["status"] == "cancelled", f"gift is {gift['status']}")
        r = self.api.http.post(f"/sandbox/paystack/_sandbox/subscriptions/{new_code}/renew")
        expect(r.status_code == 400, f"a stopped gift was charged: {r.status_code}")
        self.console.print("    stopped: Paystack charges it no more")
        self.invariant(root)

    def manage_link(self, email: str, receipt_number: str) -> str:
        """The manage link in the receipt email, from the sandbox's inbox."""

        def link() -> str | None:
            r = self.api.http.get("/sandbox/messaging/inbox/messages", params={"to": email})
            for message in r.json()["messages"]:
                body = str(message.get("body") or "")
                if (
                    receipt_number in str(message.get("subject") or "")
                    and "/giving/monthly/" in body
                ):
                    return next(w for w in body.split() if "/giving/monthly/" in w)
            return None

        url: str = wait_for("the receipt email with its manage link", link)
        return url

    def subscription_code(self, email: str) -> str:
        """The donor's newest active subscription at the Paystack sandbox."""
        r = self.api.http.get("/sandbox/paystack/_sandbox/subscriptions", params={"email": email})
        active = [s for s in r.json()["data"] if s["status"] == "active"]
        expect(bool(active), f"no active subscription for {email}")
        return str(active[0]["subscription_code"])


DEMOS: dict[str, type[GivingDemo]] = {
    "keep-it-all": GivingDemo,
    "all-or-nothing-fails": AllOrNothingFailsDemo,
    "monthly": MonthlyDemo,
}


def run(base_url: str, admin_email: str, admin_password: str, scenario: str = "keep-it-all") -> int:
    demo = DEMOS[scenario](base_url, admin_email, admin_password)
    try:
        demo.run()
    except DemoFailure as exc:
        demo.console.print(f"[bold red]DEMO FAILED:[/] {exc}")
        return 1
    demo.console.print(f"[bold green]Giving demo ({scenario}) succeeded.[/]")
    return 0
