"""The marketplace in a real browser: a seller lists a service from the studio (a mistake
first, shown beside its field), a buyer finds it by search, orders the basic package, pays
at the sandbox's hosted checkout, answers the requirements and chats (the seller's open page
shows a new message in place); the seller delivers, the buyer
accepts, reviews and tips (at the sandbox's checkout), and the seller's studio shows the
earnings and the tip in pending clearance; the
seller's identity check waits in the admin queue, where the admin approves it."""

from __future__ import annotations

import re

from playwright.async_api import BrowserContext, expect

from kro.kit.db import create_engine, session_factory
from kro.marketplace import catalog
from tests.support.platform import Platform
from tests.web.browser import Camera
from tests.web.test_admin_console import admin_signs_in
from tests.web.test_escrow_journey import sign_up


async def test_a_seller_lists_and_a_buyer_orders_through_the_pages(
    platform: Platform, context: BrowserContext
) -> None:
    engine = create_engine(platform.settings.database_url)
    async with session_factory(engine)() as session:
        await catalog.create_category(session, "Graphics & Design")
        await session.commit()
    await engine.dispose()
    camera = Camera("marketplace")
    base = platform.base_url
    seller_context = await context.browser.new_context(  # type: ignore[union-attr]
        viewport={"width": 360, "height": 780}, locale="en-NG", timezone_id="Africa/Lagos"
    )
    seller = await sign_up(seller_context, base, "Sola Seller", "sola@example.com")
    buyer = await sign_up(context, base, "Bayo Buyer", "bayo@example.com")

    await seller.goto(base + "/studio/services/new")
    await seller.get_by_label("Title").fill("I will design your logo")
    await seller.get_by_label("Description").fill("A clean logo with source files and guide.")
    await seller.get_by_label("Tags").fill("logo, branding")
    await seller.get_by_label("Questions for the buyer").fill("Your brand name")
    await seller.get_by_role("button", name="Publish service").click()
    await expect(seller.locator("main form")).to_contain_text("validation_error")
    await seller.locator("#f-basic_price").fill("50,000")
    await seller.locator("#f-basic_days").fill("3")
    await seller.locator("#f-basic_revisions").fill("1")
    await seller.get_by_role("button", name="Publish service").click()
    await expect(seller.get_by_role("status")).to_contain_text("Your service is live")
    await camera.shoot(seller, "service-page")

    await buyer.goto(base + "/market")
    await buyer.get_by_label("Search").fill("logo")
    await buyer.get_by_role("button", name="Search").click()
    await camera.shoot(buyer, "browse")
    await buyer.get_by_role("link", name=re.compile("design your logo")).click()
    await buyer.get_by_role("button", name="Order Basic").click()
    await expect(buyer.get_by_role("status")).to_contain_text("Order placed")
    order_url = buyer.url
    await buyer.get_by_role("button", name=re.compile("^Pay ")).click()
    await expect(buyer).to_have_url(re.compile(r"/sandbox/paystack/"))
    await buyer.get_by_role("button", name="Pay", exact=True).click()
    await expect(buyer).to_have_url(re.compile(re.escape(order_url)))
    # Paid once the charge is verified: the page reloads itself (order.updated, live).
    await expect(buyer.locator("#order-status")).to_have_text("Paid", timeout=30_000)
    await buyer.get_by_label("Your brand name").fill("Kola Foods")
    await buyer.get_by_role("button", name="Start the order").click()
    await expect(buyer.get_by_role("status")).to_contain_text("The seller has started")
    await camera.shoot(buyer, "order-workspace")

    await buyer.get_by_label("Your message").fill("Any questions? Call me on 0803 123 4567")
    await buyer.get_by_role("button", name="Send").click()
    await expect(buyer.get_by_role("status")).to_contain_text("Keep contact and payment on KRO")

    await seller.goto(order_url)
    await expect(seller.get_by_text("Any questions?")).to_be_visible()
    # A new message appears on the seller's open page in place (no reload).
    await expect(seller.locator("body")).to_have_attribute("data-live", "connected")
    await seller.evaluate("window.stayed = true")
    await buyer.get_by_label("Your message").fill("Is a square version possible?")
    await buyer.get_by_role("button", name="Send").click()
    await expect(seller.get_by_text("Is a square version possible?")).to_be_visible(timeout=20_000)
    assert await seller.evaluate("window.stayed === true"), "the page reloaded"
    await seller.get_by_label("Message to the buyer").fill("Here is your logo.")
    await seller.get_by_role("button", name="Deliver").click()
    await expect(seller.get_by_role("status")).to_contain_text("Delivered")

    # The buyer's page follows the delivery live.
    await buyer.get_by_role("button", name="Accept delivery").click(timeout=30_000)
    await expect(buyer.get_by_role("status")).to_contain_text("Order completed")
    await buyer.get_by_label("Your review").fill("Great work, fast.")
    await buyer.get_by_role("button", name="Post review").click()
    await expect(buyer.get_by_text("shown when both of you have reviewed")).to_be_visible()
    await buyer.get_by_label("Amount (₦)").fill("2,000")
    await buyer.get_by_role("button", name="Send a tip").click()
    await expect(buyer).to_have_url(re.compile(r"/sandbox/paystack/"))
    await buyer.get_by_role("button", name="Pay", exact=True).click()
    await expect(buyer).to_have_url(re.compile(re.escape(order_url)))
    for _ in range(60):  # the tip is credited once the charge is verified (a job)
        if await buyer.get_by_text("You tipped").count():
            break
        await buyer.wait_for_timeout(500)
        await buyer.reload()
    await expect(buyer.get_by_text("You tipped")).to_be_visible()

    await seller.goto(base + "/studio")
    await expect(seller.locator("#pending-clearance")).to_have_text("₦42,000.00")
    await expect(seller.locator("#available")).to_have_text("₦0.00")
    await camera.shoot(seller, "studio")

    # KYC: a name Dojah's simulator does not know waits for an admin, who approves it.
    await seller.goto(base + "/kyc")
    await seller.get_by_label("Full name (as on your BVN)").fill("Sola Seller")
    await seller.get_by_label("BVN", exact=True).fill("123")
    await seller.get_by_label("NIN", exact=True).fill("12345678901")
    await seller.get_by_role("button", name="Submit for verification").click()
    await expect(seller.locator("#e-bvn")).to_contain_text("invalid_identity_number")
    await seller.get_by_label("BVN", exact=True).fill("22233334444")
    await seller.get_by_role("button", name="Submit for verification").click()
    await expect(seller.locator("#kyc-status")).to_have_text("Pending")
    admin_context = await context.browser.new_context()  # type: ignore[union-attr]
    admin = await admin_context.new_page()
    await admin_signs_in(admin, platform)
    await admin.goto(base + "/admin/kyc")
    await expect(admin.get_by_text("Sola Seller")).to_be_visible()
    await camera.shoot(admin, "kyc-queue")
    await admin.get_by_role("button", name="Approve").click()
    await expect(admin.get_by_role("status")).to_contain_text("Approved")
    await seller.reload()
    await expect(seller.locator("#kyc-status")).to_have_text("Verified")
    await admin_context.close()
    await seller_context.close()
