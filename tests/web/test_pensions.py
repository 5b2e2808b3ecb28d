"""The employer portal in a real browser: an HR officer registers an employer, imports staff
(a bad row reported with its row and column, then fixed), checks PINs with PenCom's register
and prepares the month's schedule; the finance approver sets up an authenticator, approves with
a fresh code and pays on Remita's hosted page; the schedule is confirmed after Remita's status
check; a GLI policy is recorded, the certificate issued and its public verification page opened."""

from __future__ import annotations

import re
import time

import httpx
import pyotp
from playwright.async_api import BrowserContext, Page, expect

from kro.kit.clock import utcnow
from tests.pensions.conftest import people, to_csv
from tests.support.platform import Platform
from tests.web.browser import DESKTOP, PHONE, Camera
from tests.web.test_admin_console import admin_signs_in
from tests.web.test_escrow_journey import sign_up


async def _pay_and_return(page: Page) -> None:
    await page.get_by_role("button", name="Pay with Remita").click()
    await expect(page.locator("#rrr")).to_be_visible()
    await page.get_by_role("button", name="Pay now").click()
    await expect(page.get_by_role("status")).to_contain_text("Remita is being asked")


async def _edit_an_employee(hr: Page, camera: Camera) -> None:
    """An exit date before the hire date is refused beside its field; a pay change from next
    month joins the history (this month keeps its pay)."""
    await hr.get_by_role("link", name=re.compile("^S004")).click()
    await hr.get_by_label("Exit date (leaver)").fill("2020-01-31")
    await hr.get_by_role("button", name="Save details").click()
    await expect(hr.locator("#e-exit_date")).to_contain_text("exit_before_hire")
    await hr.get_by_label("Exit date (leaver)").fill("")
    await hr.get_by_label("Phone").fill("08031112222")
    await hr.get_by_role("button", name="Save details").click()
    await expect(hr.get_by_role("status")).to_contain_text("Employee updated")
    today = utcnow().date()
    month = f"{today.year + (today.month == 12)}-{today.month % 12 + 1:02d}"
    await hr.get_by_label("From month").fill(month)
    await hr.get_by_label("Basic (₦ a month)").fill("300,000")
    await hr.get_by_role("button", name="Record pay change").click()
    await expect(hr.get_by_role("status")).to_contain_text("Pay change recorded")
    await expect(hr.locator("#pay-history")).to_contain_text("₦300,000.00")
    await camera.shoot(hr, "employee")


async def test_an_employer_remits_a_month_and_gets_its_certificate(
    platform: Platform, context: BrowserContext, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    camera = Camera("pensions")
    base = platform.base_url
    hr = await sign_up(context, base, "Halima HR", "halima@example.com")
    await hr.goto(base + "/pensions/new")
    fields = {
        "Company name": "Zenon Foods Ltd",
        "RC number (CAC)": "RC765432",
        "TIN": "20456789-0001",
        "Address": "12 Broad Street, Lagos",
        "State": "Lagos",
        "Sector": "Food processing",
        "PenCom employer code": "PR0099887",
        "Salary payment day (1-31)": "28",
        "Date of incorporation": utcnow().date().replace(day=1).isoformat(),
    }
    for label, value in fields.items():
        await hr.get_by_label(label).fill(value)
    await hr.get_by_role("button", name="Register").click()
    await expect(hr.locator("#coverage")).to_contain_text("No")
    employer_url = hr.url

    finance_context = await context.browser.new_context(viewport=PHONE, locale="en-NG")  # type: ignore[union-attr]
    finance = await sign_up(finance_context, base, "Femi Finance", "femi@example.com")
    # Not on the team yet: another employer's pages are the 404 page.
    response = await finance.goto(employer_url + "/employees")
    assert response is not None and response.status == 404
    await hr.get_by_label("Email of a registered user").fill("femi@example.com")
    await hr.get_by_role("button", name="Add to the team").click()
    await expect(hr.get_by_role("status")).to_contain_text("Team member added")

    rows = people(4)
    bad = [dict(r) for r in rows]
    bad[2]["bvn"] = "123"
    (tmp_path / "bad.csv").write_bytes(to_csv(bad))
    (tmp_path / "good.csv").write_bytes(to_csv(rows))
    await hr.goto(employer_url + "/employees")
    await hr.get_by_label("File (CSV or XLSX)").set_input_files(str(tmp_path / "bad.csv"))
    await hr.get_by_role("button", name="Check and import").click()
    await expect(hr.locator("#row-errors")).to_contain_text("bvn")
    await expect(hr.locator("#row-errors td").first).to_have_text("4")
    await camera.shoot(hr, "import-row-errors")
    await hr.get_by_label("File (CSV or XLSX)").set_input_files(str(tmp_path / "good.csv"))
    await hr.get_by_role("button", name="Check and import").click()
    await expect(hr.get_by_role("status")).to_contain_text("4 new")
    async with httpx.AsyncClient(base_url=base) as api:
        holders = [
            {
                "pin": r["rsa_pin"],
                "surname": r["surname"],
                "first_name": r["first_name"],
                "pfa_code": r["pfa_code"],
            }
            for r in rows
        ]
        assert (await api.post("/sandbox/pencom/_sandbox/holders", json=holders)).status_code == 200
    await hr.get_by_role("button", name="Check PINs with PenCom").click()
    await expect(hr.get_by_role("status")).to_contain_text("0 flagged")
    await camera.shoot(hr, "employees")
    await _edit_an_employee(hr, camera)

    await hr.goto(employer_url + "/schedules")
    await hr.get_by_role("button", name="Prepare schedule").click()
    await expect(hr.locator("#total")).to_have_text("₦162,000.00")
    await hr.get_by_role("button", name="Submit for approval").click()
    await expect(hr.get_by_role("status")).to_contain_text("submit done")
    schedule_url = hr.url
    await camera.shoot(hr, "schedule-submitted")

    await finance.goto(base + "/pensions-security")
    await finance.get_by_role("button", name="Set up an authenticator").click()
    totp = pyotp.TOTP((await finance.locator("#totp-secret").inner_text()).strip())
    await finance.get_by_label("Code from the app").fill(totp.now())
    await finance.get_by_role("button", name="Confirm").click()
    await expect(finance.get_by_role("status")).to_contain_text("Authenticator set up")
    await finance.goto(schedule_url)
    await finance.get_by_label("Code from your authenticator").fill("000000")
    await finance.get_by_role("button", name="Approve").click()
    await expect(finance.locator("#e-totp_code")).to_contain_text("totp_required")
    await finance.get_by_label("Code from your authenticator").fill(totp.at(time.time() + 30))
    await finance.get_by_role("button", name="Approve").click()
    await expect(finance.get_by_role("status")).to_contain_text("approve done")
    await _pay_and_return(finance)
    for _ in range(40):
        if await finance.locator("h1 .status").inner_text() == "Confirmed":
            break
        await finance.wait_for_timeout(250)
        await finance.reload()
    await expect(finance.locator("h1 .status")).to_have_text("Confirmed")
    await camera.shoot(finance, "schedule-confirmed")
    csv_link = finance.get_by_role("link", name="CSV").first
    async with finance.expect_download() as download:
        await csv_link.click()
    assert "TOTAL" in (await (await download.value).path()).read_text()  # type: ignore[union-attr]

    year = utcnow().year
    await hr.goto(employer_url + "/compliance")
    await hr.get_by_label("Policy number").fill("GLI-ZF-001")
    await hr.get_by_label("Cover starts").fill(f"{year}-01-01")
    await hr.get_by_label("Cover ends").fill(f"{year}-12-31")
    await hr.get_by_label("Premium (₦)").fill("400,000")
    await hr.get_by_label("Premium paid on").fill(f"{year - 1}-12-15")
    await hr.get_by_role("button", name="Record policy").click()
    await expect(hr.get_by_role("status")).to_contain_text("GLI policy recorded")
    await hr.get_by_role("button", name="Issue the compliance certificate").click()
    await expect(hr.locator("#certificates")).to_contain_text(f"valid until {year}-12-31")
    await camera.shoot(hr, "compliance")
    await hr.get_by_role("link", name="verification page").click()
    await expect(hr.locator("#verdict")).to_have_text(re.compile("Genuine and valid"))
    await camera.shoot(hr, "verification")
    await finance_context.close()
    await _an_admin_revokes_it(platform, context, hr, camera)


async def _an_admin_revokes_it(
    platform: Platform, context: BrowserContext, verification: Page, camera: Camera
) -> None:
    """The admin console lists the certificate; revoking needs a reason; the public page the
    QR code opens then says revoked."""
    admin_context = await context.browser.new_context(viewport=DESKTOP, locale="en-NG")  # type: ignore[union-attr]
    admin = await admin_context.new_page()
    await admin_signs_in(admin, platform)
    await admin.get_by_role("link", name="Pensions").first.click()
    await expect(admin.locator("#employers")).to_contain_text("Zenon Foods Ltd")
    await admin.get_by_role("button", name="Revoke").click()
    await expect(admin.locator(".field.has-error .error")).to_contain_text("validation_error")
    await admin.get_by_label(re.compile("^Reason to revoke")).fill("Issued on a forged GLI")
    await admin.get_by_role("button", name="Revoke").click()
    await expect(admin.get_by_role("status")).to_contain_text("revoked")
    await camera.shoot(admin, "admin-pensions")
    await admin_context.close()
    await verification.reload()
    await expect(verification.locator("#verdict")).to_have_text("Genuine but revoked")
