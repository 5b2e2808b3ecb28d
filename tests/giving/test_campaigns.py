"""Campaigns over real HTTP: review, every organizer and admin move, object-level
authorization (another organizer's campaign is 404), bad input, reports, browse."""

from __future__ import annotations

import asyncio
import base64
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.giving import donations
from tests.giving.conftest import Giving, campaign_body
from tests.support.api import data, error, register_and_login


async def test_review_reject_edit_approve_pause_close(
    giving: Giving, http: httpx.AsyncClient
) -> None:
    c = await giving.create()
    assert c["status"] == "draft" and c["raised"] == 0 and c["available"] == 0
    # Not public before approval: 404 to everyone but the organizer's own endpoints.
    error(await http.get(f"/v1/giving/campaigns/{giving.id}"), 404, "campaign_not_found")
    assert (await giving.act("submit"))["status"] == "in_review"
    queue = data(await http.get("/v1/admin/giving/review-queue", headers=giving.admin.headers))
    assert giving.id in [q["id"] for q in queue]
    error(
        await http.post(
            f"/v1/admin/giving/campaigns/{giving.id}/review",
            json={"action": "reject"},
            headers=giving.admin.headers,
        ),
        422,
        "reason_required",
    )
    rejected = await giving.review("reject", "Say who the beneficiary is")
    assert (
        rejected["status"] == "rejected" and rejected["review_note"] == "Say who the beneficiary is"
    )
    edited = data(
        await http.put(
            f"/v1/giving/my/campaigns/{giving.id}",
            json=campaign_body(beneficiary_type="someone", beneficiary_name="Ada Obi"),
            headers=giving.organizer,
        )
    )
    assert edited["status"] == "draft" and edited["beneficiary_name"] == "Ada Obi"
    await giving.act("submit")
    assert (await giving.review("approve"))["status"] == "live"
    assert data(await http.get(f"/v1/giving/campaigns/{giving.id}"))["status"] == "live"
    # A move the table refuses is a 409 with the allowed actions.
    err = error(
        await http.post(f"/v1/giving/my/campaigns/{giving.id}/submit", headers=giving.organizer),
        409,
        "invalid_state_transition",
    )
    assert set(err["details"]["allowed"]) == {"close", "end", "pause", "wait_funds"}
    assert (await giving.act("pause"))["status"] == "paused"
    # A paused campaign takes no donations.
    body = {"name": "A", "email": "a@example.com", "amount": 500_000}
    error(
        await http.post(f"/v1/giving/campaigns/{giving.id}/donations", json=body),
        409,
        "campaign_not_accepting_donations",
    )
    assert (await giving.act("resume"))["status"] == "live"
    suspended = await giving.review("pause", "Reported as misleading")
    assert suspended["status"] == "paused"
    await giving.review("resume")
    assert (await giving.act("close"))["status"] == "closed"
    error(
        await giving.http.post(
            f"/v1/giving/my/campaigns/{giving.id}/resume", headers=giving.organizer
        ),
        409,
        "invalid_state_transition",
    )


async def test_another_organizers_campaign_is_404(giving: Giving, http: httpx.AsyncClient) -> None:
    await giving.create()
    other = await register_and_login(http, f"other-{secrets.token_hex(3)}@example.com")
    for method, path in [
        ("GET", f"/v1/giving/my/campaigns/{giving.id}"),
        ("PUT", f"/v1/giving/my/campaigns/{giving.id}"),
        ("POST", f"/v1/giving/my/campaigns/{giving.id}/submit"),
        ("GET", f"/v1/giving/my/campaigns/{giving.id}/donations"),
        ("POST", f"/v1/giving/my/campaigns/{giving.id}/updates"),
        ("POST", f"/v1/giving/my/campaigns/{giving.id}/withdrawals"),
    ]:
        body: dict[str, Any] | None = (
            {"title": "t", "body": "b"} if path.endswith("updates") else None
        )
        if method == "PUT":
            body = campaign_body()
        if path.endswith("withdrawals"):
            body = {"amount": 100, "bank_account_id": "ba_x"}
        r = await http.request(method, path, json=body, headers=other)
        error(r, 404, "campaign_not_found")
    assert data(await http.get("/v1/giving/my/campaigns", headers=other)) == []


async def test_bad_input(giving: Giving, http: httpx.AsyncClient) -> None:
    for bad in [
        {"goal": 0},
        {"category": "weapons"},
        {"title": ""},
        {"funding_model": "some"},
        {"video_url": "javascript:alert(1)"},
    ]:
        assert isinstance(bad, dict)
        r = await http.post(
            "/v1/giving/my/campaigns", json=campaign_body(**bad), headers=giving.organizer
        )
        error(r, 422)
    await giving.launch()
    small = {"name": "A", "email": "a@example.com", "amount": 9_999}
    err = error(
        await http.post(f"/v1/giving/campaigns/{giving.id}/donations", json=small),
        422,
        "donation_below_minimum",
    )
    assert err["details"] == {"field": "amount", "minimum": 10_000}
    bad_email = {"name": "A", "email": "not-an-email", "amount": 500_000}
    error(await http.post(f"/v1/giving/campaigns/{giving.id}/donations", json=bad_email), 422)
    error(
        await http.post("/v1/giving/campaigns/cmp_nope/donations", json=small | {"amount": 10**6}),
        404,
        "campaign_not_found",
    )
    error(await http.get("/v1/giving/quote", params={"amount": 50}), 422, "donation_below_minimum")


async def test_browse_search_reports_and_updates(giving: Giving, http: httpx.AsyncClient) -> None:
    await giving.launch(title="School fees for Tunde", category="education")
    found = data(
        await http.get("/v1/giving/campaigns", params={"q": "tunde", "category": "education"})
    )
    assert [c["id"] for c in found] == [giving.id]
    assert (
        data(await http.get("/v1/giving/campaigns", params={"q": "tunde", "category": "medical"}))
        == []
    )
    trending = data(await http.get("/v1/giving/campaigns", params={"sort": "trending"}))
    assert giving.id in [c["id"] for c in trending]
    report = data(
        await http.post(
            f"/v1/giving/campaigns/{giving.id}/reports",
            json={"reason": "misleading", "details": "Not a school"},
        ),
        201,
    )
    open_reports = data(await http.get("/v1/admin/giving/reports", headers=giving.admin.headers))
    assert report["id"] in [r["id"] for r in open_reports]
    data(
        await http.post(
            f"/v1/admin/giving/reports/{report['id']}",
            json={"outcome": "dismissed"},
            headers=giving.admin.headers,
        )
    )
    assert data(await http.get("/v1/admin/giving/reports", headers=giving.admin.headers)) == []
    update = data(
        await http.post(
            f"/v1/giving/my/campaigns/{giving.id}/updates",
            json={"title": "Term paid", "body": "Thank you all"},
            headers=giving.organizer,
        ),
        201,
    )
    updates = data(await http.get(f"/v1/giving/campaigns/{giving.id}/updates"))
    assert [u["id"] for u in updates] == [update["id"]]


async def test_keep_it_all_ends_then_closes_and_the_end_date_is_kept(
    giving: Giving, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await giving.launch()
    ended = data(
        await http.post(f"/v1/admin/giving/campaigns/{giving.id}/end", headers=giving.admin.headers)
    )
    assert ended["status"] == "ended"
    assert (await giving.act("close"))["status"] == "closed"
    # A campaign whose end date passes is ended by the periodic job: run here at once. The
    # platform's own worker runs it too, at each turn of the minute, and may get there first
    # (then this run has nothing left to end): either way it is that job that ended it.
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    await giving.launch(ends_at=soon)
    await asyncio.sleep(1.2)
    async with sessions() as session:
        assert await donations.end_due(session) in (0, 1)
        await session.commit()
    assert (await giving.mine())["status"] == "ended"
    body = {"name": "Late", "email": "late@example.com", "amount": 500_000}
    error(
        await http.post(f"/v1/giving/campaigns/{giving.id}/donations", json=body),
        409,
        "campaign_not_accepting_donations",
    )


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


async def test_cover_image_upload(giving: Giving, http: httpx.AsyncClient) -> None:
    await giving.create()
    path = f"/v1/giving/my/campaigns/{giving.id}/cover"
    bad = {"file": ("cover.gif", b"GIF89a", "image/gif")}
    error(await http.put(path, files=bad, headers=giving.organizer), 415, "unsupported_file_type")
    big = {"file": ("cover.png", b"\0" * (5 * 1024 * 1024 + 1), "image/png")}
    error(await http.put(path, files=big, headers=giving.organizer), 413, "file_too_large")
    other = await register_and_login(http, f"other-{secrets.token_hex(3)}@example.com")
    png = {"file": ("cover.png", PNG, "image/png")}
    error(await http.put(path, files=png, headers=other), 404, "campaign_not_found")
    assert data(await http.put(path, files=png, headers=giving.organizer))["has_cover_image"]
    cover = f"/v1/giving/campaigns/{giving.id}/cover"
    error(await http.get(cover), 404, "campaign_not_found")  # not public before approval
    await giving.act("submit")
    await giving.review("approve")
    r = await http.get(cover)
    assert r.status_code == 200 and r.content == PNG and r.headers["content-type"] == "image/png"
