"""KRO's user app in a real browser: a buyer and a seller complete an escrow order through
the pages, paying at the sandbox's hosted Paystack checkout, each seeing the other's moves
arrive without reloading; then a second order goes wrong and ends as a dispute."""

from __future__ import annotations

import re

from playwright.async_api import BrowserContext, Page, expect

from tests.support.platform import Platform
from tests.web.browser import Camera


async def sign_up(context: BrowserContext, base_url: str, name: str, email: str) -> Page:
    page = await context.new_page()
    await page.goto(base_url + "/sign-up")
    await page.get_by_label("Full name").fill(name)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("a long enough password")
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("status")).to_contain_text("Welcome to KRO")
    return page


async def shows_status(page: Page, status: str) -> None:
    """The page shows ``status``: pushed live, or — if the event came while the page was
    reloading for the one before (events reach connected pages only) — after a reload."""
    try:
        await expect(page.locator(".status").first).to_have_text(status, timeout=8_000)
    except AssertionError:
        await page.reload()
        await expect(page.locator(".status").first).to_have_text(status)


async def test_a_buyer_and_a_seller_complete_an_order_through_the_pages(
    platform: Platform, context: BrowserContext
) -> None:
    camera = Camera("escrow-order")
    base = platform.base_url
    seller_context = await context.browser.new_context(  # type: ignore[union-attr]
        viewport={"width": 360, "height": 780}, locale="en-NG", timezone_id="Africa/Lagos"
    )
    seller = await sign_up(seller_context, base, "Sola Seller", "sola@example.com")
    buyer = await sign_up(context, base, "Bayo Buyer", "bayo@example.com")

    # The buyer's order, with a mistake first: errors beside their fields, nothing saved.
    await buyer.goto(base + "/orders/new")
    await buyer.get_by_label("Seller's email").fill("nobody@example.com")
    await buyer.get_by_label("What are you buying?").fill("iPhone 15, 256 GB")
    await buyer.get_by_label("Price (₦)").fill("two hundred")
    await buyer.get_by_label("Conditions the seller must meet").fill(
        "Brand new and sealed\nDelivered to Lekki by Friday"
    )
    await buyer.get_by_role("button", name="Create order").click()
    await expect(buyer.locator("#e-amount")).to_contain_text("invalid_amount")
    await buyer.get_by_label("Price (₦)").fill("250,000")
    await buyer.get_by_role("button", name="Create order").click()
    await expect(buyer.locator("#e-seller_email")).to_contain_text("seller_not_found")
    await camera.shoot(buyer, "new-order-errors")
    await buyer.get_by_label("Seller's email").fill("sola@example.com")
    await buyer.get_by_role("button", name="Create order").click()
    await expect(buyer.get_by_role("heading", name="iPhone 15, 256 GB")).to_be_visible()
    await expect(buyer.locator(".amount").first).to_have_text("₦250,000.00")
    order_url = buyer.url
    await camera.shoot(buyer, "order-created")

    # The seller finds it on their dashboard and accepts; the buyer's page follows live.
    await seller.goto(base + "/orders")
    await expect(seller.get_by_text("Selling")).to_be_visible()
    await camera.shoot(seller, "seller-orders")
    await seller.get_by_role("link", name=re.compile("iPhone 15")).click()
    await expect(buyer.locator("body[data-live=connected]")).to_be_attached()
    await seller.get_by_role("button", name="Accept order").click()
    await expect(seller.locator(".status").first).to_have_text("Accepted")
    await expect(buyer.get_by_role("heading", name=re.compile("^Pay "))).to_be_visible()

    # The buyer pays by card at the hosted checkout and comes back to the order.
    await buyer.get_by_label("Card (secure checkout)").check()
    await buyer.get_by_role("button", name="Pay", exact=True).click()
    await expect(buyer).to_have_url(re.compile(r"/sandbox/paystack/"))
    await camera.shoot(buyer, "hosted-checkout")
    await buyer.get_by_role("button", name="Pay", exact=True).click()
    await expect(buyer).to_have_url(re.compile(re.escape(order_url)))
    # Funded once Paystack's charge.success is verified (the page reloads itself).
    await expect(buyer.locator(".status").first).to_have_text("Funded", timeout=30_000)
    await shows_status(seller, "Funded")

    await seller.get_by_role("button", name="Start work").click()
    await seller.get_by_role("button", name="Mark work completed").click()
    await expect(seller.locator(".status").first).to_have_text("Completed")
    await shows_status(buyer, "Completed")
    await camera.shoot(buyer, "inspect")

    # Every condition met: the order closes and the money goes to the seller.
    for left in (1, 0):
        await buyer.get_by_role("button", name="Mark as met").first.click()
        await expect(buyer.get_by_role("button", name="Mark as met")).to_have_count(left)
    await expect(buyer.locator(".status").first).to_have_text("Closed")
    await expect(buyer.get_by_text("Released")).to_be_visible()
    await camera.shoot(buyer, "closed")
    await shows_status(seller, "Closed")
    await seller_context.close()


async def test_an_order_that_goes_wrong_becomes_a_dispute(
    platform: Platform, context: BrowserContext
) -> None:
    camera = Camera("escrow-dispute")
    base = platform.base_url
    seller_context = await context.browser.new_context()  # type: ignore[union-attr]
    seller = await sign_up(seller_context, base, "Tunde Tailor", "tunde@example.com")
    buyer = await sign_up(context, base, "Amaka Buyer", "amaka@example.com")
    await buyer.goto(base + "/orders/new")
    await buyer.get_by_label("Seller's email").fill("tunde@example.com")
    await buyer.get_by_label("What are you buying?").fill("Agbada, made to measure")
    await buyer.get_by_label("Price (₦)").fill("85000")
    await buyer.get_by_label("Conditions the seller must meet").fill("Fits the measurements sent")
    await buyer.get_by_role("button", name="Create order").click()
    # The seller's order list (open since sign-up) shows the new order without a reload.
    await seller.get_by_role("link", name=re.compile("Agbada")).click()
    await seller.get_by_role("button", name="Accept order").click()

    # Bank transfer: the page shows the account to pay into.
    await expect(buyer.get_by_role("heading", name=re.compile("^Pay "))).to_be_visible()
    await buyer.get_by_label("Bank transfer").check()
    await buyer.get_by_role("button", name="Pay", exact=True).click()
    await expect(buyer.get_by_test_id("bank-details")).to_contain_text("Providus Bank")
    await camera.shoot(buyer, "bank-transfer-details")
    # ... but the buyer pays by card instead.
    await buyer.get_by_label("Card (secure checkout)").check()
    await buyer.get_by_role("button", name="Pay", exact=True).click()
    await buyer.get_by_role("button", name="Pay", exact=True).click()
    await expect(buyer.locator(".status").first).to_have_text("Funded", timeout=30_000)

    await seller.get_by_role("button", name="Start work").click()
    await seller.get_by_role("button", name="Mark work completed").click()
    await shows_status(buyer, "Completed")
    await buyer.get_by_label("Describe the problem").fill("The sleeves are 10 cm too short.")
    await buyer.get_by_role("button", name="Report an issue").click()
    await expect(buyer.locator(".status").first).to_have_text("Issue reported")
    await buyer.locator("#f-file").set_input_files(
        files=[{"name": "sleeve.txt", "mimeType": "text/plain", "buffer": b"measured: 52 cm"}]
    )
    await buyer.get_by_label("What does it show?").fill("Sleeve measurement")
    await buyer.get_by_role("button", name="Attach").click()
    await expect(buyer.get_by_role("link", name=re.compile("sleeve.txt"))).to_be_visible()

    await shows_status(seller, "Issue reported")
    await seller.get_by_label("Reply").fill("I can adjust them this week.")
    await seller.get_by_role("button", name="Send").click()
    await expect(seller.get_by_text("I can adjust them this week.")).to_be_visible()
    # The buyer's page shows the reply without a reload.
    await expect(buyer.get_by_text("I can adjust them this week.")).to_be_visible()
    await buyer.get_by_label("Ask KRO to decide").fill("I need a refund, the event is tomorrow.")
    await buyer.get_by_role("button", name="Escalate to a dispute").click()
    await expect(buyer.locator(".status").first).to_have_text("Disputed")
    await camera.shoot(buyer, "disputed")
    await seller_context.close()
