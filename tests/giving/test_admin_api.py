"""The admins' giving API beyond reviews: holds and featured campaigns by view, donations per
day (tips apart), the CSV export, and the tip / minimum-donation terms with their history."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx

from kro.kit.clock import utcnow
from tests.giving.conftest import Giving
from tests.support.api import data, error

ADMIN_GETS = (
    "/v1/admin/giving/campaigns?view=held",
    "/v1/admin/giving/donations-per-day?start=2026-01-01&end=2026-01-02",
    "/v1/admin/giving/settings",
    "/v1/admin/giving/messages/flagged",
)


async def test_holds_and_featured_are_listed_by_view(
    giving: Giving, http: httpx.AsyncClient
) -> None:
    await giving.launch()
    base, headers = "/v1/admin/giving", giving.admin.headers
    assert data(await http.get(f"{base}/campaigns?view=held", headers=headers)) == []
    active = data(await http.get(f"{base}/campaigns", headers=headers))
    assert giving.id in [c["id"] for c in active]

    url = f"{base}/campaigns/{giving.id}"
    held = data(
        await http.put(
            f"{url}/hold", json={"reason": "Upload the hospital's invoice"}, headers=headers
        )
    )
    assert held["hold_reason"] == "Upload the hospital's invoice"
    rows = data(await http.get(f"{base}/campaigns?view=held", headers=headers))
    assert [c["id"] for c in rows] == [giving.id]
    data(await http.put(f"{url}/hold", json={"reason": None}, headers=headers))
    assert data(await http.get(f"{base}/campaigns?view=held", headers=headers)) == []

    data(await http.put(f"{url}/featured", json={"featured": True}, headers=headers))
    rows = data(await http.get(f"{base}/campaigns?view=featured", headers=headers))
    assert [c["id"] for c in rows] == [giving.id]
    page = await http.get("/giving")
    assert 'aria-label="Featured fundraisers"' in page.text
    data(await http.put(f"{url}/featured", json={"featured": False}, headers=headers))
    assert data(await http.get(f"{base}/campaigns?view=featured", headers=headers)) == []
    error(await http.get(f"{base}/campaigns?view=everything", headers=headers), 422)


async def test_donations_per_day_keep_tips_apart(giving: Giving, http: httpx.AsyncClient) -> None:
    await giving.launch()
    await giving.give(500_000, tip=50_000)
    await giving.give(300_000, tip=0, anonymous=True)
    today = utcnow().astimezone(ZoneInfo("Africa/Lagos")).date()
    start = today - timedelta(days=2)
    rows = data(
        await http.get(
            "/v1/admin/giving/donations-per-day",
            params={"start": start.isoformat(), "end": today.isoformat()},
            headers=giving.admin.headers,
        )
    )
    assert [r["day"] for r in rows] == [(start + timedelta(days=i)).isoformat() for i in range(3)]
    assert rows[0]["count"] == rows[1]["count"] == 0
    assert rows[2] == {
        "day": today.isoformat(),
        "count": 2,
        "amount": 800_000,
        "tip": 50_000,
        "cover": 0,
        "total": 850_000,
    }
    backwards = {"start": today.isoformat(), "end": start.isoformat()}
    r = await http.get(
        "/v1/admin/giving/donations-per-day", params=backwards, headers=giving.admin.headers
    )
    error(r, 422, "invalid_date_range")


async def test_csv_export_hides_anonymous_names_and_keeps_emails(
    giving: Giving, http: httpx.AsyncClient
) -> None:
    await giving.launch()
    named = await giving.give(123_450, tip=0, message="Get well soon")
    hidden = await giving.give(200_000, tip=0, anonymous=True)
    r = await http.get(
        f"/v1/admin/giving/campaigns/{giving.id}/donations.csv", headers=giving.admin.headers
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = {row["donation_id"]: row for row in csv.DictReader(io.StringIO(r.text))}
    assert rows[named["id"]]["name"] == named["donor_name"]
    assert rows[named["id"]]["amount"] == "123450"
    assert rows[named["id"]]["amount_formatted"] == "₦1,234.50"
    assert rows[named["id"]]["message"] == "Get well soon"
    assert rows[hidden["id"]]["name"] == "Anonymous"
    assert hidden["donor_name"] not in r.text
    assert rows[hidden["id"]]["email"] == hidden["donor_email"]
    assert rows[hidden["id"]]["anonymous"] == "yes"
    error(
        await http.get(
            "/v1/admin/giving/campaigns/cmp_nope/donations.csv", headers=giving.admin.headers
        ),
        404,
        "campaign_not_found",
    )
    r = await http.get(
        f"/v1/admin/giving/campaigns/{giving.id}/donations.csv", headers=giving.organizer
    )
    assert r.status_code in (401, 403)


async def test_terms_change_with_totp_and_apply_to_new_donations(
    giving: Giving, http: httpx.AsyncClient
) -> None:
    await giving.launch()
    url, headers = "/v1/admin/giving/settings", giving.admin.headers
    before = data(await http.get(url, headers=headers))
    assert before == {"default_tip_bps": 1_000, "min_donation": 10_000, "history": []}
    body = {"default_tip_bps": 500, "min_donation": 50_000, "note": "Lower tip for December"}
    error(await http.put(url, json=body, headers=headers), 403, "totp_required")
    error(
        await http.put(
            url, json={**body, "min_donation": 5, "totp_code": "000000"}, headers=headers
        ),
        422,
    )
    after = data(
        await http.put(url, json={**body, "totp_code": giving.admin.code()}, headers=headers)
    )
    assert after["default_tip_bps"] == 500 and after["min_donation"] == 50_000
    assert [h["note"] for h in after["history"]] == ["Lower tip for December"]

    quote = data(await http.get("/v1/giving/quote", params={"amount": 1_000_000}))
    assert quote["tip"] == 50_000  # 5 % now
    error(
        await http.get("/v1/giving/quote", params={"amount": 40_000}), 422, "donation_below_minimum"
    )
    r = await http.post(
        f"/v1/giving/campaigns/{giving.id}/donations",
        json={"name": "Bola Ade", "email": "bola@example.com", "amount": 40_000},
    )
    error(r, 422, "donation_below_minimum")
    # Only admins see or change the terms, or any of these lists.
    for path in ADMIN_GETS:
        assert (await http.get(path, headers=giving.organizer)).status_code in (401, 403), path
    r = await http.put(url, json={**body, "totp_code": "123456"}, headers=giving.organizer)
    assert r.status_code in (401, 403)
