"""KRO Giving in a real browser: an organizer starts a fundraiser from the dashboard (a
mistake first, shown beside its field) and submits it; an admin approves it in the console; a
donor without an account opens the shareable page (Open Graph tags), gives with a preset
amount, a tip and fee cover at the sandbox's hosted checkout, lands on the thank-you page with
a numbered receipt whose PDF reads back, and flags the words of support it left; the admin
keeps them and features the fundraiser (it shows in the browse page's strip); the organizer
sees the gift raised, tip and cover kept out."""

from __future__ import annotations

import asyncio
import base64
import re

import httpx
from playwright.async_api import BrowserContext, FilePayload, expect

from kro.documents import text_of
from tests.support.platform import Platform
from tests.web.browser import Camera
from tests.web.test_admin_console import admin_signs_in
from tests.web.test_escrow_journey import sign_up

PNG = base64.b64decode(  # a 1×1 image
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


async def test_a_fundraiser_from_draft_to_a_donation_with_its_receipt(
    platform: Platform, context: BrowserContext
) -> None:
    camera = Camera("giving")
    base = platform.base_url
    organizer = await sign_up(context, base, "Chidi Okafor", "chidi@example.com")

    await organizer.goto(base + "/giving/my")
    await organizer.get_by_label("Title").fill("Surgery for Ada")
    await organizer.get_by_label("Your story").fill("Ada needs heart surgery in Lagos by March.")
    await organizer.get_by_label("Category").select_option("medical")
    await organizer.get_by_label("Goal (₦)").fill("a lot")
    await organizer.get_by_role("button", name="Save draft").click()
    await expect(organizer.locator("#e-goal")).to_contain_text("invalid_amount")
    await organizer.get_by_label("Goal (₦)").fill("500,000")
    await organizer.get_by_role("button", name="Save draft").click()
    await expect(organizer.get_by_role("status")).to_contain_text("Draft saved")
    campaign_id = organizer.url.rsplit("/", 1)[1]
    await organizer.get_by_label("Image (PNG, JPEG or WebP, at most 5 MB)").set_input_files(
        files=[FilePayload(name="cover.png", mimeType="image/png", buffer=PNG)]
    )
    await organizer.get_by_role("button", name="Upload").click()
    await expect(organizer.get_by_role("status")).to_contain_text("Cover image saved")
    await organizer.get_by_role("button", name="Submit for review").click()
    await expect(organizer.locator(".status").first).to_have_text("In review")

    # An admin approves it in the console (signed in with password and authenticator).
    admin_context = await context.browser.new_context(  # type: ignore[union-attr]
        viewport={"width": 360, "height": 780}, locale="en-NG", timezone_id="Africa/Lagos"
    )
    admin = await admin_context.new_page()
    await admin_signs_in(admin, platform)
    await admin.goto(base + "/admin/giving")
    await expect(admin.get_by_role("heading", name="Surgery for Ada")).to_be_visible()
    await camera.shoot(admin, "admin-review")
    await admin.get_by_role("button", name="Approve").click()
    await expect(admin.get_by_role("status")).to_contain_text("approve done")
    await expect(admin.get_by_text("Nothing waits for review.")).to_be_visible()

    donor = await context.browser.new_context(  # type: ignore[union-attr]
        viewport={"width": 360, "height": 780}, locale="en-NG", timezone_id="Africa/Lagos"
    )
    page = await donor.new_page()
    await page.goto(f"{base}/giving/campaigns/{campaign_id}")
    await expect(page.locator('meta[property="og:title"]')).to_have_attribute(
        "content", "Surgery for Ada"
    )
    await expect(page.locator('meta[property="og:image"]')).to_have_attribute(
        "content", re.compile(f"/v1/giving/campaigns/{campaign_id}/social.png$")
    )
    await expect(page.get_by_role("img", name="Cover of Surgery for Ada")).to_be_visible()
    await expect(page.locator('meta[property="og:url"]')).to_have_attribute(
        "content", re.compile(f"/giving/campaigns/{campaign_id}$")
    )
    await camera.shoot(page, "campaign")
    await page.get_by_label("₦5,000.00").check()
    await page.get_by_label("Your name").fill("Bola Ade")
    await page.get_by_label("Your email").fill("bola@example.com")
    await page.get_by_label("Tip to KRO Giving (₦, optional)").fill("500")
    await page.get_by_label("Cover the card fee").check()
    await page.get_by_label("Words of support (optional)").fill("Get well soon, Ada")
    await page.get_by_role("button", name="Donate").click()
    await expect(page).to_have_url(re.compile(r"/sandbox/paystack/"))
    await page.get_by_role("button", name="Pay", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/giving/donations/don_"))
    for _ in range(60):
        if await page.locator("#receipt-number").count():
            break
        await page.wait_for_timeout(500)
        await page.reload()
    await expect(page.get_by_role("heading", name="Thank you, Bola Ade")).to_be_visible()
    number = await page.locator("#receipt-number").inner_text()
    assert re.fullmatch(r"KG-\d{4}-000001", number)
    await camera.shoot(page, "thank-you")
    link = await page.get_by_role("link", name=re.compile("Download the receipt")).get_attribute(
        "href"
    )
    assert link is not None
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        pdf = (await http.get(link)).content
    text = text_of(pdf)
    assert number in text and "Bola Ade" in text and "five thousand naira" in text
    assert "₦500.00" in text  # the tip, shown apart
    # The donor has no account, yet the receipt reached the address they gave.
    assert number in (await _receipt_mail(base, "bola@example.com"))["subject"]
    # The donor reports the fundraiser: without a reason first (the error beside the field).
    await page.goto(f"{base}/giving/campaigns/{campaign_id}")
    await page.get_by_role("button", name="Report").click()
    await expect(page.locator("#e-report_reason")).to_contain_text("validation_error")
    await page.get_by_label("What is wrong").select_option("misleading")
    await page.get_by_role("button", name="Report").click()
    await expect(page.get_by_role("status")).to_contain_text("trust and safety")
    # Anyone may flag words of support: they wait for an admin, still shown.
    await page.get_by_text("Flag these words").click()
    await page.get_by_label("Reason for flagging").fill("Testing the flag")
    await page.get_by_role("button", name="Flag", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("an admin will look")
    await expect(page.get_by_text("Get well soon, Ada")).to_be_visible()
    await donor.close()

    # The admin keeps the flagged words, then features the fundraiser on its own page.
    await admin.goto(base + "/admin/giving")
    await expect(admin.get_by_text("Get well soon, Ada")).to_be_visible()
    await admin.get_by_role("button", name="Keep").click()
    await expect(admin.get_by_role("status")).to_contain_text("kept")
    await admin.get_by_role("link", name="Campaigns", exact=True).click()
    await admin.get_by_role("button", name="Feature", exact=True).click()
    await expect(admin.get_by_role("status")).to_contain_text("Featured on the browse page")
    await camera.shoot(admin, "admin-campaigns")
    await admin_context.close()
    browse = await organizer.context.new_page()
    await browse.goto(base + "/giving")
    strip = browse.get_by_role("region", name="Featured fundraisers")
    await expect(strip.get_by_role("link", name="Surgery for Ada")).to_be_visible()
    await browse.close()

    await organizer.reload()
    await expect(organizer.locator("#raised")).to_have_text("₦5,000.00")
    await expect(organizer.locator("#available")).to_have_text("₦5,000.00")
    await camera.shoot(organizer, "organizer")


async def _receipt_mail(base: str, address: str) -> dict[str, str]:
    """The one email the messaging sandbox took for ``address`` (waiting for the worker)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(150):
            found = await http.get("/sandbox/messaging/inbox/messages", params={"to": address})
            messages = found.json()["messages"]
            if messages:
                [mail] = messages
                assert "token=" in mail["body"]
                return dict(mail)
            await asyncio.sleep(0.1)
    raise AssertionError(f"no email reached {address}")
