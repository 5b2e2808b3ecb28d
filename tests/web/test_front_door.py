"""The front door in a real browser: sign up, sign out, sign in with a password and with an
emailed link, verify a phone by SMS code; and the refusals a page owes (CSRF, other
people's sessions)."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import BrowserContext, expect

from tests.support.platform import Platform
from tests.web.browser import Camera


async def test_a_new_person_signs_up_signs_in_and_verifies_a_phone(
    platform: Platform, context: BrowserContext
) -> None:
    camera = Camera("front-door")
    page = await context.new_page()
    await page.goto(platform.base_url + "/")
    await camera.shoot(page, "landing")
    await page.get_by_role("link", name="Create an account").click()

    # A bad form: every error is next to its field, with the API's code, nothing saved.
    await page.get_by_label("Full name").fill("Ada Obi")
    await page.get_by_label("Email").fill("not-an-email")
    await page.get_by_label("Password").fill("short")
    await page.get_by_role("button", name="Create account").click()
    await expect(page.locator("#e-email")).to_contain_text("validation_error")
    await expect(page.locator("#e-password")).to_contain_text("at least 8")
    await camera.shoot(page, "sign-up-errors")

    await page.get_by_label("Email").fill("ada@example.com")
    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("status")).to_contain_text("Welcome to KRO")

    # Signed in: the profile; verify a phone with the code the SMS sandbox received.
    await page.goto(platform.base_url + "/profile")
    await page.get_by_label("Mobile number").fill("0803 123 4567")
    await page.get_by_role("button", name="Text me a code").click()
    await expect(page.get_by_text("We sent a 6-digit code")).to_be_visible()
    code = await _last_sms_code(platform, "+2348031234567")
    await page.get_by_label("Code").fill("000000" if code != "000000" else "111111")
    await page.get_by_role("button", name="Verify").click()
    await expect(page.locator("#e-code")).to_contain_text("invalid_code")
    await page.get_by_label("Code").fill(code)
    await page.get_by_role("button", name="Verify").click()
    await expect(page.get_by_role("status")).to_contain_text("phone number is verified")
    await camera.shoot(page, "profile-verified")

    # Sign out, then a wrong password, then the right one.
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/sign-in"))
    await page.goto(platform.base_url + "/profile")
    await expect(page).to_have_url(re.compile(r"/sign-in\?next=/profile"))
    await page.get_by_label("Email", exact=True).fill("ada@example.com")
    await page.get_by_label("Password").fill("wrong password!")
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.locator("[role=alert]")).to_contain_text("invalid_credentials")
    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/profile$"))

    # A sign-in link by email, in a browser that has never signed in.
    other = await context.browser.new_context()  # type: ignore[union-attr]
    link_page = await other.new_page()
    await link_page.goto(platform.base_url + "/sign-in")
    await link_page.get_by_label("Email for the link").fill("ada@example.com")
    await link_page.get_by_role("button", name="Email me a link").click()
    await expect(link_page.get_by_text("sign-in link is on its way")).to_be_visible()
    link = await _last_email_link(platform, "ada@example.com")
    await link_page.goto(link)
    await link_page.get_by_role("button", name="Sign in").click()
    await link_page.goto(platform.base_url + "/profile")
    await expect(link_page.get_by_text("ada@example.com")).to_be_visible()
    # The link works once.
    await link_page.goto(link)
    await link_page.get_by_role("button", name="Sign in").click()
    await expect(link_page.locator("[role=alert]")).to_contain_text("invalid_magic_link")
    await other.close()


async def test_a_form_without_its_csrf_token_is_refused(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.base_url) as http:
        r = await http.post(
            "/sign-up",
            data={"full_name": "Eve", "email": "eve@example.com", "password": "12345678"},
        )
        assert r.status_code == 403
        assert 'data-code="csrf_failed"' in r.text
        # A token minted for another browser's cookie does not pass either.
        page = await http.get("/sign-up")
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
        assert token is not None
        http.cookies.set("kro_csrf", "another-browser-cookie-value-0000000000")
        r = await http.post(
            "/sign-up",
            data={
                "csrf_token": token.group(1),
                "full_name": "Eve",
                "email": "eve@example.com",
                "password": "12345678",
            },
        )
        assert r.status_code == 403


async def _last_sms_code(platform: Platform, phone: str) -> str:
    from tests.support.platform import eventually

    async def code() -> str | None:
        async with httpx.AsyncClient(base_url=platform.base_url) as http:
            r = await http.get("/sandbox/messaging/inbox/messages", params={"to": phone})
            for message in reversed(r.json().get("messages", [])):
                found = re.search(r"\b(\d{6})\b", message.get("body", ""))
                if found:
                    return found.group(1)
        return None

    return str(await eventually(code))


async def _last_email_link(platform: Platform, email: str) -> str:
    from tests.support.platform import eventually

    async def link() -> str | None:
        async with httpx.AsyncClient(base_url=platform.base_url) as http:
            r = await http.get("/sandbox/messaging/inbox/messages", params={"to": email})
            for message in reversed(r.json().get("messages", [])):
                found = re.search(r"(http\S+/sign-in/link\?token=[\w%-]+)", message.get("body", ""))
                if found:
                    return found.group(1)
        return None

    return str(await eventually(link))
