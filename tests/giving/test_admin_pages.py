"""The giving admin pages: a page with several items waiting repeats no HTML id, and a form's
error shows beside the item whose form was sent."""

from __future__ import annotations

import httpx

from tests.giving.conftest import Giving
from tests.giving.console import console, fresh_code, post_form, repeated_ids
from tests.support.api import data
from tests.support.platform import Platform


async def test_the_queue_page_with_two_campaigns_waiting_repeats_no_id(
    giving: Giving, http: httpx.AsyncClient, platform: Platform
) -> None:
    await giving.create(title="Surgery for Ada")
    await giving.act("submit")
    first = giving.id
    await giving.create(title="School fees for Tobi")
    await giving.act("submit")
    second = giving.id
    async with console(platform.base_url, giving.admin) as admin:
        page = await admin.get("/admin/giving")
        assert page.status_code == 200
        assert first in page.text and second in page.text
        assert f'id="f-reason-{first}"' in page.text
        assert repeated_ids(page.text) == []
        # Rejecting the second without a reason: the error is beside its field only.
        r = await post_form(
            admin, "/admin/giving", f"/admin/giving/campaigns/{second}/review", {"action": "reject"}
        )
        assert r.status_code == 422
        assert f'id="e-reason-{second}"' in r.text and f'id="e-reason-{first}"' not in r.text
        assert 'data-code="reason_required"' in r.text
        assert repeated_ids(r.text) == []


async def test_campaigns_page_holds_and_features(
    giving: Giving, http: httpx.AsyncClient, platform: Platform
) -> None:
    await giving.launch(title="Surgery for Ada")
    first = giving.id
    await giving.launch(title="School fees for Tobi")
    second = giving.id
    page = "/admin/giving/campaigns"
    async with console(platform.base_url, giving.admin) as admin:
        html = (await admin.get(page)).text
        assert first in html and second in html and repeated_ids(html) == []
        r = await post_form(admin, page, f"{page}/{second}/hold", {"action": "place"})
        assert r.status_code == 422 and f'id="e-reason-{second}"' in r.text
        reason = "Upload the hospital's invoice"
        r = await post_form(admin, page, f"{page}/{second}/hold", {"reason": reason})
        assert r.status_code == 303
        held = (await admin.get(page + "?view=held")).text
        assert second in held and first not in held and reason.replace("'", "&#39;") in held
        mine = data(await http.get(f"/v1/giving/my/campaigns/{second}", headers=giving.organizer))
        assert mine["hold_reason"] == reason
        fields = {"action": "lift", "view": "held"}
        r = await post_form(admin, page, f"{page}/{second}/hold", fields)
        assert r.status_code == 303 and r.headers["location"] == page + "?view=held"
        assert second not in (await admin.get(page + "?view=held")).text

        r = await post_form(admin, page, f"{page}/{first}/featured", {"featured": "yes"})
        assert r.status_code == 303
        featured = (await admin.get(page + "?view=featured")).text
        assert first in featured and second not in featured
        strip = (await http.get("/giving")).text.split('aria-label="Featured fundraisers"')[1]
        assert first in strip.split("</section>")[0]
        r = await post_form(admin, page, f"{page}/cmp_nope/featured", {"featured": "yes"})
        assert r.status_code == 404


async def test_reports_page_per_day_and_csv(
    giving: Giving, http: httpx.AsyncClient, platform: Platform
) -> None:
    await giving.launch()
    await giving.give(500_000, tip=50_000)
    async with console(platform.base_url, giving.admin) as admin:
        html = (await admin.get("/admin/giving/reports")).text
        assert 'aria-label="Donations per day"' in html and "₦5,000.00" in html
        assert "₦500.00" in html  # the tip, in its own column
        bad = await admin.get("/admin/giving/reports?start=2026-02-01&end=2026-01-01")
        assert bad.status_code == 422 and 'data-code="invalid_date_range"' in bad.text
        csv = await admin.get(f"/admin/giving/reports/export?campaign_id={giving.id}")
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert csv.text.splitlines()[0].startswith("donation_id,receipt,status,name,email")
        missing = await admin.get("/admin/giving/reports/export?campaign_id=cmp_nope")
        assert missing.status_code == 404 and 'id="e-campaign_id"' in missing.text
    anonymous = await http.get(f"/admin/giving/reports/export?campaign_id={giving.id}")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/admin/sign-in")


async def test_settings_page_needs_a_code_and_keeps_history(
    giving: Giving, http: httpx.AsyncClient, platform: Platform
) -> None:
    page = "/admin/giving/settings"
    fields = {"default_tip_bps": "750", "min_donation": "500", "note": "Harmattan drive"}
    async with console(platform.base_url, giving.admin) as admin:
        html = (await admin.get(page)).text
        assert "Tip 10 %" in html and "₦100.00" in html
        r = await post_form(admin, page, page, {**fields, "totp_code": "000000"})
        assert r.status_code == 403 and 'id="e-totp_code"' in r.text
        r = await post_form(admin, page, page, {**fields, "totp_code": fresh_code(giving.admin)})
        assert r.status_code == 303
        html = (await admin.get(page)).text
        assert "Tip 7.5 %" in html and "₦500.00" in html and "Harmattan drive" in html
    terms = data(await http.get("/v1/admin/giving/settings", headers=giving.admin.headers))
    assert terms["default_tip_bps"] == 750 and terms["min_donation"] == 50_000
