"""The admin console in a real browser: an admin signs in with a password and a new
authenticator (TOTP enrolment by QR code), opens a dispute, reads its thread and evidence,
fails and then succeeds to split it with a fresh code; the order, the audit log and the
ledger show the outcome; a suspended user's session stops opening pages. And the cookies of
users and admins open only their own side.

The dispute is set up as the parties would, over the JSON API (register, create, accept, pay
at the sandbox's hosted checkout, start, report an issue, escalate).
"""

from __future__ import annotations

import asyncio
import math
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
from playwright.async_api import BrowserContext, Dialog, Page, expect

from kro.identity.admin_pages import CODE_ATTEMPTS
from kro.kit.ratelimit import parse_limit
from tests.escrow.conftest import Deal
from tests.support.api import data, register_and_login
from tests.support.platform import Platform
from tests.web.browser import PHONE, Camera

PASSWORD = "correct horse battery"


async def shoot(camera: Camera, page: Page, name: str) -> None:
    """Screenshots at both widths, after checking that the page fits a 360 px phone (no
    sideways scrolling)."""
    await page.set_viewport_size(PHONE)
    overflow = await page.evaluate(
        """() => [...document.querySelectorAll('main *')]
              .filter(e => !e.closest('.table-wrap, pre'))
              .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
              .map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40))"""
    )
    assert not overflow, f"{name} is wider than a phone: {overflow}"
    await camera.shoot(page, name)


def code_at(totp: pyotp.TOTP, steps_ahead: int = 0) -> str:
    """The code ``steps_ahead`` 30 s steps from now: a code is accepted once per step, and
    the next step's code is accepted now (clock drift), so a test need not wait."""
    return totp.at(time.time() + 30 * steps_ahead)


def wrong_code(totp: pyotp.TOTP) -> str:
    """Six digits that are none of the codes the server could accept now."""
    near = {code_at(totp, k) for k in (-1, 0, 1, 2)}
    return next(c for c in (f"{d}" * 6 for d in range(10)) if c not in near)


async def try_a_wrong_code(page: Page, totp: pyotp.TOTP) -> str:
    """A wrong code at the sign-in's second step; the error's code (``totp_required``, or
    ``rate_limited`` once too many codes were tried)."""
    await page.get_by_label("Authenticator code").fill(wrong_code(totp))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Sign in").click()
    return await page.locator("#e-code").get_attribute("data-code") or ""


def most_codes_checked(limit: int, first: float, last: float) -> int:
    """The most codes an admin can have checked between ``first`` and ``last`` (Unix seconds)
    before one is refused. The limiter is a sliding window counter over clock minutes
    (kro.kit.ratelimit): codes all in one clock minute get exactly ``limit``; when a minute
    turned between them, the last minute's codes count in proportion to the part of the past
    60 s it still covers, so up to ceil(limit × seconds since the turn / 60) more pass; and no
    clock minute takes more than ``limit``."""
    minutes = int(last // 60) - int(first // 60) + 1
    if minutes == 1:
        return limit
    if minutes == 2:
        return limit + math.ceil(limit * (last % 60) / 60)
    return limit * minutes


@dataclass
class Authenticator:
    """The admin's authenticator app (``totp``) and the recovery codes they wrote down."""

    totp: pyotp.TOTP
    recovery_codes: list[str]


async def admin_signs_in(
    page: Page, platform: Platform, camera: Camera | None = None
) -> Authenticator:
    """The start-up admin signs in for the first time: password, then enrolment (the secret
    and the recovery codes read from the page, a first code confirms it)."""
    await page.goto(platform.base_url + "/admin")
    await expect(page).to_have_url(re.compile(r"/admin/sign-in\?next=/admin$"))
    await page.get_by_label("Email").fill(platform.settings.admin_email)
    await page.get_by_label("Password").fill(platform.settings.admin_password)
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Set up your authenticator")).to_be_visible()
    await page.get_by_role("button", name="Show my QR code").click()
    qr = page.get_by_role("img", name=re.compile("QR code"))
    await expect(qr).to_be_visible()
    assert await qr.evaluate("img => img.complete && img.naturalWidth > 0"), "QR code not drawn"
    await expect(page.locator("#recovery-codes li")).to_have_count(10)
    totp = pyotp.TOTP((await page.locator("#totp-secret").inner_text()).strip())
    recovery_codes = [c.strip() for c in await page.locator("#recovery-codes li").all_inner_texts()]
    if camera:
        await shoot(camera, page, "totp-enrolment")
    await page.get_by_label("Code from the app").fill(wrong_code(totp))
    await page.get_by_role("button", name="Confirm and sign in").click()
    await expect(page.locator("#e-code")).to_contain_text("totp_required")
    await page.get_by_label("Code from the app").fill(code_at(totp))
    await page.get_by_role("button", name="Confirm and sign in").click()
    await expect(page).to_have_url(re.compile(r"/admin$"))
    await expect(page.get_by_role("status")).to_contain_text("authenticator is set up")
    return Authenticator(totp, recovery_codes)


async def admin_password(page: Page, platform: Platform) -> None:
    """An enrolled admin gives their password and is asked for a code."""
    await page.goto(platform.base_url + "/admin/sign-in")
    await page.get_by_label("Email").fill(platform.settings.admin_email)
    await page.get_by_label("Password").fill(platform.settings.admin_password)
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()


async def user_signs_in(page: Page, platform: Platform, email: str) -> None:
    await page.goto(platform.base_url + "/sign-in")
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.goto(platform.base_url + "/profile")
    await expect(page.get_by_text(email)).to_be_visible()


async def disputed_order(http: httpx.AsyncClient) -> tuple[Deal, str]:
    """A funded order in progress, the buyer's issue with evidence, escalated by the seller.
    Returns the deal and the buyer's email."""
    tag = secrets.token_hex(3)
    buyer_email, seller_email = f"buyer-{tag}@example.com", f"seller-{tag}@example.com"
    buyer = await register_and_login(http, buyer_email, PASSWORD, "Bisi Buyer")
    seller = await register_and_login(http, seller_email, PASSWORD, "Sola Seller")
    deal = Deal(http, buyer, seller, seller_email)
    await deal.create()
    await deal.fund()
    await deal.act("start", "seller")
    url = f"/v1/escrow/orders/{deal.id}"
    data(
        await http.post(f"{url}/issues", json={"body": "Half the pages are missing"}, headers=buyer)
    )
    files = {"file": ("missing-pages.txt", b"about, pricing and blog are 404", "text/plain")}
    data(
        await http.post(f"{url}/evidence", files=files, data={"note": "The list"}, headers=buyer),
        201,
    )
    data(
        await http.post(
            f"{url}/escalate", json={"body": "Those pages were never agreed"}, headers=seller
        )
    )
    return deal, buyer_email


async def test_an_admin_resolves_a_dispute_with_totp(
    platform: Platform, context: BrowserContext
) -> None:
    camera = Camera("admin-console")
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as http:
        deal, buyer_email = await disputed_order(http)

    # The buyer is signed in to the app in their own browser.
    assert context.browser is not None
    buyer_context = await context.browser.new_context()
    buyer_page = await buyer_context.new_page()
    await user_signs_in(buyer_page, platform, buyer_email)

    page = await context.new_page()
    totp = (await admin_signs_in(page, platform, camera)).totp
    await expect(page.locator("main")).to_contain_text("Open issues and disputes")
    await shoot(camera, page, "overview")

    # The dispute, from the overview: its thread, its evidence.
    await page.get_by_role("link", name="Open issues and disputes").click()
    await page.get_by_role("link", name=re.compile("Website redesign")).click()
    await expect(page).to_have_url(re.compile(rf"/admin/orders/{deal.id}$"))
    thread = page.locator("#thread")
    await expect(thread).to_contain_text("Half the pages are missing")
    await expect(thread).to_contain_text("Those pages were never agreed")
    async with page.expect_download() as download_info:
        await thread.get_by_role("link", name="missing-pages.txt").click()
    download = await download_info.value
    assert download.suggested_filename == "missing-pages.txt"
    saved = Path(await download.path())
    assert await asyncio.to_thread(saved.read_bytes) == b"about, pricing and blog are 404"
    await shoot(camera, page, "dispute")

    # A wrong code: nothing moves, the error sits beside the code with the API's code.
    await page.get_by_label("Outcome").select_option("split")
    await page.get_by_label(re.compile("Seller's share")).fill("150,000")
    await page.get_by_label(re.compile("Decision")).fill("Half the pages were agreed: 60/40.")
    await page.get_by_label("Authenticator code").fill(wrong_code(totp))
    await page.get_by_role("button", name="Resolve").click()
    await expect(page.locator("#e-totp_code")).to_contain_text("totp_required")
    await expect(page.get_by_label(re.compile("Seller's share"))).to_have_value("150,000")
    await expect(page.locator("h1")).to_contain_text("Disputed")
    await shoot(camera, page, "wrong-code")

    # The right code (the next step's: the enrolment used this one).
    await page.get_by_label("Authenticator code").fill(code_at(totp, 1))
    await page.get_by_role("button", name="Resolve").click()
    await expect(page.get_by_role("status")).to_contain_text("The dispute is resolved")
    await expect(page.locator("h1")).to_contain_text("Closed")
    await expect(page.locator("#released")).to_have_text("₦150,000.00")
    await expect(page.locator("#thread")).to_contain_text("Half the pages were agreed: 60/40.")
    await expect(page.locator("#resolve")).to_have_count(0)
    await shoot(camera, page, "resolved")

    # The audit log lists the resolution; the ledger still balances.
    await page.locator("main").get_by_role("link", name="Audit log").click()
    entries = page.locator("#audit-entries")
    await expect(entries).to_contain_text("escrow.dispute_resolved")
    await expect(entries).to_contain_text("split")
    await shoot(camera, page, "audit-log")
    await page.goto(platform.base_url + "/admin/ledger")
    await expect(page.locator("#invariants")).to_contain_text("The ledger balances")
    await shoot(camera, page, "ledger")

    # Suspend the buyer: their open session stops opening pages.
    await page.goto(platform.base_url + "/admin/users")
    await page.get_by_label("Email or name contains").fill(buyer_email)
    await page.get_by_role("button", name="Search").click()
    await page.get_by_role("link", name=re.compile("Bisi Buyer")).click()
    await page.get_by_label("Reason").fill("Chargeback fraud under review")
    await page.get_by_role("button", name="Suspend Bisi Buyer").click()
    await expect(page.get_by_role("status")).to_contain_text("suspended and signed out")
    await expect(page.locator("h1")).to_contain_text("Suspended")
    await shoot(camera, page, "user-suspended")
    await buyer_page.goto(platform.base_url + "/profile")
    await expect(buyer_page).to_have_url(re.compile(r"/sign-in\?next=/profile$"))
    await buyer_context.close()


async def test_user_and_admin_cookies_open_only_their_own_side(
    platform: Platform, context: BrowserContext
) -> None:
    email = f"user-{secrets.token_hex(3)}@example.com"
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as http:
        await register_and_login(http, email, PASSWORD)

    # A user signed in to the app is sent to the console's sign-in, and cannot pass it.
    user_page = await context.new_page()
    await user_signs_in(user_page, platform, email)
    await user_page.goto(platform.base_url + "/admin/users")
    await expect(user_page).to_have_url(re.compile(r"/admin/sign-in\?next=/admin/users$"))
    await user_page.get_by_label("Email").fill(email)
    await user_page.get_by_label("Password").fill(PASSWORD)
    await user_page.get_by_role("button", name="Continue").click()
    await expect(user_page.locator("[role=alert]")).to_contain_text("admin_required")
    user_cookie = next(c for c in await context.cookies() if c["name"] == "kro_session")

    # The admin's cookie is sent only to /admin, and opens no user page as anyone.
    assert context.browser is not None
    admin_context = await context.browser.new_context()
    admin_page = await admin_context.new_page()
    first_code = time.time()  # the enrolment's first code comes after this
    totp = (await admin_signs_in(admin_page, platform)).totp
    admin_cookie = next(c for c in await admin_context.cookies() if c["name"] == "kro_admin")
    assert admin_cookie["path"] == "/admin" and admin_cookie["httpOnly"]
    url = platform.base_url
    admin_as_user = httpx.AsyncClient(base_url=url, cookies={"kro_session": admin_cookie["value"]})
    user_as_admin = httpx.AsyncClient(base_url=url, cookies={"kro_admin": user_cookie["value"]})
    admin_as_admin = httpx.AsyncClient(base_url=url, cookies={"kro_admin": admin_cookie["value"]})
    async with admin_as_user, user_as_admin, admin_as_admin:
        r = await admin_as_user.get("/profile")
        assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=/profile"
        r = await user_as_admin.get("/admin")
        assert r.status_code == 303 and r.headers["location"] == "/admin/sign-in?next=/admin"
        # The same cookie on its own side does open the console (the refusals above are real).
        assert (await admin_as_admin.get("/admin")).status_code == 200

        # Signed out, the cookie opens nothing.
        await admin_page.get_by_role("button", name="Sign out").click()
        await expect(admin_page).to_have_url(re.compile(r"/admin/sign-in$"))
        assert (await admin_as_admin.get("/admin")).status_code == 303

    # Signing in again asks for a code (the next step's: the enrolment used this one)...
    await admin_password(admin_page, platform)
    await admin_page.get_by_label("Authenticator code").fill(code_at(totp, 1))
    await admin_page.get_by_role("button", name="Sign in").click()
    await expect(admin_page).to_have_url(re.compile(r"/admin$"))
    # ... and takes only a few codes a minute (the enrolment tried two, the sign-in one):
    # the sixth is refused when all six fall in one clock minute, a later one when a minute
    # turned between them (the limit is a sliding window counter: most_codes_checked).
    await admin_page.get_by_role("button", name="Sign out").click()
    await admin_password(admin_page, platform)
    limit, checked = parse_limit(CODE_ATTEMPTS).amount, 3
    while (error := await try_a_wrong_code(admin_page, totp)) == "totp_required":
        checked += 1
        assert checked <= most_codes_checked(limit, first_code, time.time()), checked
    assert error == "rate_limited" and checked >= limit, (error, checked)
    await admin_context.close()


async def accept(dialog: Dialog) -> None:
    """Answer yes to the page's "are you sure?"."""
    await dialog.accept()


async def payout_waiting_for_approval(http: httpx.AsyncClient) -> str:
    """A seller paid ₦600,000 on a closed order asks to withdraw it all: above the approval
    threshold, the payout waits for an admin. Returns its id."""
    tag = secrets.token_hex(3)
    seller_email = f"seller-{tag}@example.com"
    buyer = await register_and_login(http, f"buyer-{tag}@example.com", PASSWORD, "Bisi Buyer")
    seller = await register_and_login(http, seller_email, PASSWORD, "Sola Seller")
    deal = Deal(http, buyer, seller, seller_email)
    await deal.create(amount=60_000_000)
    await deal.fund()
    await deal.close()
    available = (await deal.wallet())["available"]
    account = {"bank_code": "058", "account_number": "0000000002"}
    bank = data(await http.post("/v1/bank-accounts", json=account, headers=seller), 201)
    body = {"amount": available, "currency": "NGN", "bank_account_id": bank["id"]}
    headers = {**seller, "Idempotency-Key": f"withdraw-{tag}"}
    payout = data(await http.post("/v1/payouts", json=body, headers=headers), 201)
    assert payout["status"] == "pending_approval"
    return str(payout["id"])


async def test_an_admin_approves_a_payout_and_keeps_fees_templates_and_webhooks(
    platform: Platform, context: BrowserContext
) -> None:
    camera = Camera("admin-console-settings")
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as http:
        payout_id = await payout_waiting_for_approval(http)
    page = await context.new_page()
    authenticator = await admin_signs_in(page, platform)
    totp = authenticator.totp

    # The payout queue: a wrong code changes nothing; the next step's code approves.
    await page.get_by_role("link", name="Payouts waiting for approval").click()
    await page.locator(f"a[href='/admin/payouts/{payout_id}']").click()
    await expect(page.locator("main")).to_contain_text("BABATUNDE ADEYEMI")
    await page.get_by_label("Authenticator code").fill(wrong_code(totp))
    await page.get_by_role("button", name="Approve").click()
    await expect(page.locator("#e-totp_code")).to_contain_text("totp_required")
    await shoot(camera, page, "payout-waiting")
    await page.get_by_label("Authenticator code").fill(code_at(totp, 1))
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("status")).to_contain_text("Approved")
    await expect(page.locator("#decide")).to_have_count(0)
    await shoot(camera, page, "payout-approved")

    # A new fee, with a recovery code (this 30 s step's codes are used up); its history.
    await page.get_by_role("link", name="Fees").click()
    await page.get_by_label("Percentage, in basis points").fill("200")
    await page.get_by_label("Flat part, in naira").fill("100")
    await page.get_by_label("Cap, in naira").fill("5,000")
    await page.get_by_label("Who pays").select_option("buyer")
    await page.get_by_label("Note").fill("Q1 pricing")
    await page.get_by_label("Authenticator code").fill(authenticator.recovery_codes[0])
    await page.get_by_role("button", name="Put in force").click()
    await expect(page.get_by_role("status")).to_contain_text("new fee applies")
    await expect(page.locator("#fee-in-force")).to_contain_text("2 % + ₦100.00, at most ₦5,000.00")
    await expect(page.locator("table")).to_contain_text("Q1 pricing")
    await shoot(camera, page, "fees")

    # Condition templates: add one, retire it.
    await page.get_by_role("link", name="Templates").click()
    await page.get_by_label("Condition", exact=True).fill("Source files handed over")
    await page.get_by_label("Category (optional)").fill("design")
    await page.get_by_role("button", name="Add").click()
    item = page.locator("li", has_text="Source files handed over")
    await expect(item).to_contain_text("Active")
    await shoot(camera, page, "templates")
    page.once("dialog", accept)
    await item.get_by_role("button", name="Retire").click()
    await expect(page.locator("li", has_text="Source files handed over")).to_contain_text("Retired")

    # The audit log has each decision.
    await page.goto(platform.base_url + "/admin/audit")
    for action in ("payouts.approved", "escrow.fee_changed", "escrow.template_retired"):
        await expect(page.locator("#audit-entries")).to_contain_text(action)


async def test_an_admin_reads_a_provider_webhook_with_its_payload(
    platform: Platform, context: BrowserContext
) -> None:
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as http:
        tag = secrets.token_hex(3)
        seller_email = f"seller-{tag}@example.com"
        buyer = await register_and_login(http, f"buyer-{tag}@example.com", PASSWORD)
        seller = await register_and_login(http, seller_email, PASSWORD)
        deal = Deal(http, buyer, seller, seller_email)
        await deal.create()
        await deal.fund()
    page = await context.new_page()
    await admin_signs_in(page, platform)
    response = await page.goto(platform.base_url + "/admin/webhooks?provider=paystack")
    assert response is not None and response.status == 200
    await page.get_by_role("link", name=re.compile("charge.success")).first.click()
    await expect(page.locator("#payload")).to_contain_text('"event": "charge.success"')
    await shoot(Camera("admin-console-webhooks"), page, "webhook")
