"""Issues, disputes, admin resolution with TOTP, refunds, payout approval, auto-release,
paying from the wallet — over real HTTP against the platform."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.audit.models import AuditEntry
from kro.escrow.models import EscrowOrder
from kro.kit.clock import clock
from kro.payments.models import Refund
from tests.escrow.conftest import AMOUNT, Deal
from tests.support.api import data, error
from tests.support.platform import Platform, eventually

ADMIN = {"email": "admin@kro.example.com", "password": "kro-admin-dev-password"}


class Admin:
    """The platform's start-up admin with an enrolled authenticator."""

    def __init__(self, headers: dict[str, str], totp: pyotp.TOTP) -> None:
        self.headers = headers
        self.totp = totp
        self.step = 0

    def code(self) -> str:
        """A code not used before: now, then the next 30 s step (accepted for clock drift)."""
        self.step += 1
        return self.totp.at(clock.now() + timedelta(seconds=30 * (self.step - 1)))


async def enrolled_admin(http: httpx.AsyncClient) -> Admin:
    token = data(await http.post("/v1/admin/auth/login", json=ADMIN))["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    enrolment = data(await http.post("/v1/admin/totp/enrol", headers=headers))
    assert (
        enrolment["otpauth_uri"].startswith("otpauth://totp/")
        and len(enrolment["recovery_codes"]) == 10
    )
    assert enrolment["qr_svg_data_uri"].startswith("data:image/svg+xml")
    totp = pyotp.TOTP(enrolment["secret"])
    error(
        await http.post("/v1/admin/totp/confirm", json={"code": "000000"}, headers=headers),
        403,
        "totp_required",
    )
    data(await http.post("/v1/admin/totp/confirm", json={"code": totp.now()}, headers=headers))
    admin = Admin(headers, totp)
    admin.step = 1  # the confirmation used the current step
    return admin


async def test_dispute_split_70_30_with_totp(
    deal: Deal, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await deal.create()
    await deal.fund()
    await deal.act("start", "seller")
    order = data(
        await http.post(
            f"/v1/escrow/orders/{deal.id}/issues", json={"body": "Half done"}, headers=deal.buyer
        )
    )
    assert order["status"] == "issue_reported"
    data(
        await http.post(
            f"/v1/escrow/orders/{deal.id}/messages",
            json={"body": "It is finished"},
            headers=deal.seller,
        ),
        201,
    )
    error(
        await http.post(
            f"/v1/escrow/orders/{deal.id}/issues", json={"body": "again"}, headers=deal.seller
        ),
        403,
    )
    order = data(
        await http.post(
            f"/v1/escrow/orders/{deal.id}/escalate",
            json={"body": "We disagree"},
            headers=deal.seller,
        )
    )
    assert order["status"] == "disputed"
    thread = data(await http.get(f"/v1/escrow/orders/{deal.id}/messages", headers=deal.buyer))
    assert [m["author_role"] for m in thread] == ["buyer", "seller", "seller"]

    admin = await enrolled_admin(http)
    seller_max = AMOUNT - 375_000
    seller_amount = seller_max * 70 // 100
    body = {"outcome": "split", "seller_amount": seller_amount, "note": "70/30"}
    error(
        await http.post(
            f"/v1/admin/escrow/orders/{deal.id}/resolve",
            json={**body, "totp_code": "123456"},
            headers=admin.headers,
        ),
        403,
        "totp_required",
    )
    # A user's token never passes the admin guard.
    error(
        await http.post(
            f"/v1/admin/escrow/orders/{deal.id}/resolve",
            json={**body, "totp_code": admin.totp.now()},
            headers=deal.buyer,
        ),
        401,
        "admin_token_required",
    )
    order = data(
        await http.post(
            f"/v1/admin/escrow/orders/{deal.id}/resolve",
            json={**body, "totp_code": admin.code()},
            headers=admin.headers,
        )
    )
    assert order["status"] == "closed"
    to_buyer = AMOUNT - seller_amount - 375_000
    assert (
        order["amounts"]["released"] == seller_amount and order["amounts"]["refunded"] == to_buyer
    )
    assert (await deal.wallet())["available"] == seller_amount

    async def refund_processed() -> bool:
        async with sessions() as s:
            refund = (await s.execute(select(Refund))).scalar_one()
            return refund.status == "processed" and refund.amount == to_buyer

    await eventually(refund_processed, within=30)
    async with sessions() as s:
        entry = (
            await s.execute(
                select(AuditEntry).where(AuditEntry.action == "escrow.dispute_resolved")
            )
        ).scalar_one()
    assert entry.target_id == deal.id and entry.details["outcome"] == "split"


async def test_cancel_funded_refunds_in_full_and_refund_to_wallet(
    deal: Deal, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await deal.create()
    await deal.fund()
    order = await deal.act("cancel", "buyer")
    assert order["status"] == "refunded" and order["amounts"]["refunded"] == AMOUNT
    # The payment is refunded once Paystack confirms the refund (the ledger moved already).

    async def payment_refunded() -> bool:
        return (await deal.get())["payment"]["status"] == "refunded"

    await eventually(payment_refunded, within=30)


async def test_pay_from_wallet_and_refund_to_it(deal: Deal, http: httpx.AsyncClient) -> None:
    # The seller earns money on a first order, then buys with it from the buyer.
    await deal.create(amount=1_000_000, conditions=1)
    await deal.fund()
    await deal.close()
    earned = (await deal.wallet())["available"]
    reverse = Deal(
        http, buyer=deal.seller, seller=deal.buyer, seller_email=(await _email(http, deal.buyer))
    )
    await reverse.create(amount=earned + 1, conditions=1)
    await reverse.act("accept", "seller")
    error(
        await http.post(
            f"/v1/escrow/orders/{reverse.id}/pay", json={"method": "wallet"}, headers=reverse.buyer
        ),
        409,
        "insufficient_funds",
    )
    await reverse.create(amount=earned, conditions=1)
    await reverse.act("accept", "seller")
    paid = data(
        await http.post(
            f"/v1/escrow/orders/{reverse.id}/pay", json={"method": "wallet"}, headers=reverse.buyer
        )
    )
    assert (
        paid["method"] == "wallet"
        and paid["status"] == "completed"
        and paid["authorization_url"] is None
    )
    assert (await reverse.get())["status"] == "funded"
    assert (await reverse.wallet("buyer"))["available"] == 0
    order = await reverse.act("cancel", "buyer")
    assert order["status"] == "refunded"
    assert (await reverse.wallet("buyer"))["available"] == earned


async def _email(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    return str(data(await http.get("/v1/me", headers=headers))["email"])


async def test_large_payout_waits_for_an_admin_with_totp(
    deal: Deal, http: httpx.AsyncClient, platform: Platform
) -> None:
    await deal.create(amount=60_000_000)  # ₦600,000: above the ₦500,000 approval threshold
    await deal.fund()
    await deal.close()
    available = (await deal.wallet())["available"]
    assert available > platform.settings.payout_approval_threshold
    account = data(
        await http.post(
            "/v1/bank-accounts",
            json={"bank_code": "058", "account_number": "0000000002"},
            headers=deal.seller,
        ),
        201,
    )
    body = {"amount": available, "currency": "NGN", "bank_account_id": account["id"]}
    payout = data(
        await http.post(
            "/v1/payouts", json=body, headers={**deal.seller, "Idempotency-Key": "big"}
        ),
        201,
    )
    assert payout["status"] == "pending_approval"
    admin = await enrolled_admin(http)
    queue = data(await http.get("/v1/admin/payouts?status=pending_approval", headers=admin.headers))
    assert [p["id"] for p in queue] == [payout["id"]]
    error(
        await http.post(
            f"/v1/admin/payouts/{payout['id']}/approve",
            json={"totp_code": "000000"},
            headers=admin.headers,
        ),
        403,
        "totp_required",
    )
    error(
        await http.post(
            f"/v1/admin/payouts/{payout['id']}/approve",
            json={"totp_code": admin.totp.now()},
            headers=deal.seller,
        ),
        401,
    )
    approved = data(
        await http.post(
            f"/v1/admin/payouts/{payout['id']}/approve",
            json={"totp_code": admin.code()},
            headers=admin.headers,
        )
    )
    assert approved["status"] == "pending"

    async def sent() -> bool:
        p = data(await http.get(f"/v1/payouts/{payout['id']}", headers=deal.seller))
        return p["status"] == "success"

    await eventually(sent)


async def test_inspection_period_ends_in_auto_release(
    deal: Deal, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await deal.create()
    await deal.fund()
    await deal.act("start", "seller")
    order = await deal.act("complete", "seller")
    assert order["inspection_ends_at"] is not None
    clock.advance(timedelta(days=3, minutes=1))  # the server's worker shares this clock

    async def released() -> EscrowOrder | None:
        async with sessions() as s:
            o = await s.get(EscrowOrder, deal.id)
            return o if o is not None and o.status == "closed" else None

    closed = await eventually(released, within=90)
    assert closed.released_amount == AMOUNT - 375_000


async def test_user_tokens_never_pass_admin_endpoints(
    deal: Deal, http: httpx.AsyncClient, platform: Platform
) -> None:
    """Every admin operation in the OpenAPI document refuses a user's access token."""
    openapi = (await http.get("/openapi.json")).json()["paths"]
    checked = 0
    for path, operations in openapi.items():
        if not path.startswith(("/v1/admin/", "/v1/dev/")) or path == "/v1/admin/auth/login":
            continue
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        for method in operations:
            r = await http.request(method.upper(), concrete, headers=deal.buyer, json={})
            error(r, 401, "admin_token_required")
            checked += 1
    assert checked >= 20
    # And an admin token is not a user token.
    token = data(await http.post("/v1/admin/auth/login", json=ADMIN))["access_token"]
    error(await http.get("/v1/me", headers={"Authorization": f"Bearer {token}"}), 401)
    error(
        await http.post(
            "/v1/admin/auth/login",
            json={"email": await _email(http, deal.buyer), "password": "correct horse battery"},
        ),
        403,
        "admin_required",
    )


async def test_evidence_upload_and_download(deal: Deal, http: httpx.AsyncClient) -> None:
    await deal.create()
    await deal.fund()
    await deal.act("start", "seller")
    url = f"/v1/escrow/orders/{deal.id}/evidence"
    files = {"file": ("photo.png", b"\x89PNG fake image", "image/png")}
    error(
        await http.post(url, files=files, data={"note": "early"}, headers=deal.buyer),
        409,
        "no_open_issue",
    )
    data(
        await http.post(
            f"/v1/escrow/orders/{deal.id}/issues", json={"body": "Broken"}, headers=deal.buyer
        )
    )
    msg = data(
        await http.post(url, files=files, data={"note": "see photo"}, headers=deal.buyer), 201
    )
    assert msg["kind"] == "evidence" and msg["evidence_size"] == len(b"\x89PNG fake image")
    exe = {"file": ("run.exe", b"MZ", "application/x-msdownload")}
    error(
        await http.post(url, files=exe, data={"note": "x"}, headers=deal.seller),
        415,
        "unsupported_file_type",
    )
    r = await http.get(
        f"/v1/escrow/orders/{deal.id}/messages/{msg['id']}/evidence", headers=deal.seller
    )
    assert r.status_code == 200 and r.content == b"\x89PNG fake image"
    assert r.headers["content-type"] == "image/png"


async def test_both_parties_are_reminded_a_day_before_inspection_ends(
    deal: Deal, http: httpx.AsyncClient, platform: Platform
) -> None:
    await deal.create()
    await deal.fund()
    await deal.act("start", "seller")
    await deal.act("complete", "seller")
    buyer = data(await http.get("/v1/me", headers=deal.buyer))["email"]
    clock.advance(timedelta(days=2, minutes=1))  # inside the last day of three

    async def reminded() -> bool:
        r = await http.get(
            f"{platform.base_url}/sandbox/messaging/inbox/messages", params={"to": buyer}
        )
        return any("day left to review" in (m.get("subject") or "") for m in r.json()["messages"])

    await eventually(reminded, within=120)
