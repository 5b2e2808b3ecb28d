"""The wallet in a real browser: a seller paid through an escrow order sees the balance, adds a
bank account whose name the bank's name enquiry fills in, withdraws (too much first), watches
the withdrawal reach their bank, and turns an SMS notification off; another user's withdrawal
is the 404 page."""

from __future__ import annotations

import re
import time

import httpx
from playwright.async_api import BrowserContext, Page, expect

from kro.kit.db import create_engine, session_factory, unit_of_work
from kro.ledger import chart
from tests.escrow.conftest import AMOUNT, Deal
from tests.ledger.factories import fund
from tests.support.api import data, register_and_login
from tests.support.platform import Platform
from tests.web.browser import Camera

PASSWORD = "correct horse battery"
RELEASED = AMOUNT - 375_000  # the seller's share of a ₦250,000 order: ₦246,250.00


async def sign_in(context: BrowserContext, base_url: str, email: str) -> Page:
    page = await context.new_page()
    await page.goto(base_url + "/sign-in")
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


async def reload_until(page: Page, selector: str, within: float = 30.0) -> None:
    """Reload ``page`` until ``selector`` is on it (the worker moves things between loads)."""
    deadline = time.monotonic() + within
    while not await page.locator(selector).count():
        assert time.monotonic() < deadline, f"{selector} never appeared on {page.url}"
        await page.wait_for_timeout(300)
        await page.reload()


async def test_a_seller_withdraws_what_an_order_paid_them(
    platform: Platform, context: BrowserContext
) -> None:
    camera = Camera("wallet")
    base = platform.base_url
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        # Money in the wallet the way a seller gets it: an order closed over the API.
        buyer = await register_and_login(http, "bisi@example.com", PASSWORD, "Bisi Buyer")
        seller = await register_and_login(http, "seun@example.com", PASSWORD, "Seun Seller")
        deal = Deal(http, buyer, seller, "seun@example.com")
        await deal.create()
        await deal.fund()
        assert (await deal.close())["status"] == "closed"

        page = await sign_in(context, base, "seun@example.com")
        await page.get_by_role("link", name="Wallet").click()
        await expect(page.get_by_test_id("available")).to_have_text("₦246,250.00")
        history = page.get_by_role("list", name="Wallet history")
        await expect(history).to_contain_text(f"Released to you from order {deal.id}")
        await expect(history).to_contain_text("₦246,250.00")
        await camera.shoot(page, "wallet")

        # A bank account: name enquiry fills the name; a number the bank does not know fails.
        await page.get_by_role("link", name="Bank accounts").click()
        await page.get_by_label("Bank").select_option(label="Guaranty Trust Bank")
        await page.get_by_label("Account number").fill("1234567890")
        await page.get_by_role("button", name="Look up").click()
        await expect(page.locator("#e-account_number")).to_contain_text("account_not_resolved")
        await page.get_by_label("Account number").fill("0000000002")
        await page.get_by_role("button", name="Look up").click()
        await expect(page.get_by_test_id("account-name")).to_have_text("BABATUNDE ADEYEMI")
        await camera.shoot(page, "name-enquiry")
        await page.get_by_role("button", name="Add this account").click()
        await expect(page.get_by_role("status")).to_contain_text("BABATUNDE ADEYEMI")
        await camera.shoot(page, "bank-accounts")

        # Too much: refused beside the amount with the API's code, nothing held.
        await page.get_by_role("link", name="Withdraw to an account").click()
        await page.get_by_label("Amount (₦)").fill("300,000")
        await page.get_by_role("button", name="Withdraw").click()
        await expect(page.locator("#e-amount")).to_contain_text("insufficient_funds")
        await camera.shoot(page, "withdraw-too-much")
        assert (await deal.wallet())["held"] == 0

        # A valid amount: the withdrawal page follows it to the bank.
        await page.get_by_label("Amount (₦)").fill("100,000")
        await page.get_by_label("To bank account").select_option(
            label="Guaranty Trust Bank ••••0002 · BABATUNDE ADEYEMI"
        )
        await page.get_by_role("button", name="Withdraw").click()
        await expect(page).to_have_url(re.compile(r"/wallet/withdrawals/po_"))
        await expect(page.get_by_role("status")).to_contain_text("Withdrawal requested")
        await reload_until(page, "[data-testid=payout-status] .status-success")
        events = page.get_by_role("list", name="Events")
        await expect(events.locator("li")).to_have_count(3)
        await expect(events.locator("li").first).to_contain_text("Requested")
        await expect(events.locator("li").last).to_contain_text("Paid into your bank account")
        await expect(page.get_by_text("The money was sent to your bank")).to_be_visible()
        await camera.shoot(page, "withdrawal-sent")

        await page.get_by_role("link", name="Wallet").click()
        await expect(page.get_by_test_id("available")).to_have_text("₦146,250.00")
        await expect(history.locator("li")).to_have_count(2)
        await expect(history.locator("li").first).to_contain_text(
            "Withdrawal to Guaranty Trust Bank ••••0002"
        )
        await expect(history.locator("li").first).to_contain_text("-₦100,000.00")
        await camera.shoot(page, "wallet-after")

        # Notifications: turn off the SMS when a withdrawal reaches the bank.
        await page.goto(base + "/settings/notifications")
        sms = page.get_by_role("group", name="A withdrawal reached your bank").get_by_label("SMS")
        await expect(sms).to_be_checked()
        await sms.uncheck()
        await page.get_by_role("button", name="Save preferences").click()
        await expect(page.get_by_role("status")).to_contain_text("preferences are saved")
        await expect(sms).not_to_be_checked()
        await expect(page.get_by_role("list", name="Messages")).to_contain_text(
            "A withdrawal reached your bank"
        )
        await camera.shoot(page, "notifications")
        prefs = data(await http.get("/v1/me/notification-preferences", headers=seller))
        sent = next(p for p in prefs if p["event"] == "payout.sent")
        assert sent["channels"] == {"email": True, "sms": False, "whatsapp": False}
        # Only the change was written: another event keeps its defaults.
        funded = next(p for p in prefs if p["event"] == "order.funded")
        assert funded["channels"] == {"email": True, "sms": True, "whatsapp": False}


async def test_a_large_withdrawal_waits_for_approval_and_nobody_else_sees_it(
    platform: Platform, context: BrowserContext
) -> None:
    base = platform.base_url
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        owner = await register_and_login(http, "owner@example.com", PASSWORD)
        await register_and_login(http, "other@example.com", PASSWORD)
        owner_id = data(await http.get("/v1/me", headers=owner))["id"]
        engine = create_engine(platform.settings.database_url)
        async with unit_of_work(session_factory(engine)) as session:  # ₦600,000 credited
            await fund(session, await chart.ensure_wallet(session, owner_id, "NGN"), 60_000_000)
        await engine.dispose()
        body = {"bank_code": "058", "account_number": "0000000002"}
        data(await http.post("/v1/bank-accounts", json=body, headers=owner), 201)

    # Above KRO_PAYOUT_APPROVAL_THRESHOLD (₦500,000): held, waiting for an admin.
    page = await sign_in(context, base, "owner@example.com")
    await page.goto(base + "/wallet/withdraw")
    await page.get_by_label("Amount (₦)").fill("550,000")
    await page.get_by_role("button", name="Withdraw").click()
    await expect(page.get_by_role("status")).to_contain_text("waiting for approval")
    await expect(page.get_by_test_id("payout-status")).to_have_text("Pending approval")
    payout_url = page.url
    await page.close()

    other = await context.browser.new_context()  # type: ignore[union-attr]
    page = await sign_in(other, base, "other@example.com")
    response = await page.goto(payout_url)
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    await expect(page.locator("[data-code=payout_not_found]")).to_be_visible()
    await other.close()
