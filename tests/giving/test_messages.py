"""Words of support (the donors' messages): shown on the wall, flagged by anyone into the
admins' queue, hidden by the organizer or an admin with a reason (recorded), kept by an
admin. Another organizer cannot hide them (404)."""

from __future__ import annotations

import secrets

import httpx

from tests.giving.conftest import Giving
from tests.giving.console import console, post_form, repeated_ids, sign_in
from tests.support.api import data, error, register_and_login
from tests.support.platform import Platform

PASSWORD = "correct horse battery"  # register_and_login's


async def test_flag_queue_hide_and_keep(giving: Giving, http: httpx.AsyncClient) -> None:
    await giving.launch()
    kind = await giving.give(200_000, tip=0, message="Praying for you, Ada")
    rude = await giving.give(300_000, tip=0, message="Buy cheap followers at spam.example")
    silent = await giving.give(100_000, tip=0)
    base = f"/v1/giving/campaigns/{giving.id}"
    wall = data(await http.get(f"{base}/donors"))
    assert {w["message"] for w in wall} == {
        "Praying for you, Ada",
        "Buy cheap followers at spam.example",
        None,
    }

    flag = {"reason": "Spam"}
    flagged = data(await http.post(f"{base}/messages/{rude['id']}/flag", json=flag))
    assert flagged["message_status"] == "flagged"
    data(await http.post(f"{base}/messages/{kind['id']}/flag", json=flag))
    error(
        await http.post(f"{base}/messages/{silent['id']}/flag", json=flag), 404, "message_not_found"
    )
    error(await http.post(f"{base}/messages/{rude['id']}/flag", json={"reason": ""}), 422)
    error(
        await http.post(f"/v1/giving/campaigns/cmp_nope/messages/{rude['id']}/flag", json=flag),
        404,
    )

    admin = giving.admin.headers
    queue = data(await http.get("/v1/admin/giving/messages/flagged", headers=admin))
    assert [(m["donation_id"], m["flags"]) for m in queue] == [(kind["id"], 1), (rude["id"], 1)]
    assert all("email" not in m for m in queue)
    moderate = "/v1/admin/giving/messages"
    error(
        await http.post(f"{moderate}/{rude['id']}", json={"action": "hide"}, headers=admin),
        422,
        "reason_required",
    )
    hidden = data(
        await http.post(
            f"{moderate}/{rude['id']}",
            json={"action": "hide", "reason": "Spam link"},
            headers=admin,
        )
    )
    assert hidden["message_status"] == "hidden"
    kept = data(await http.post(f"{moderate}/{kind['id']}", json={"action": "keep"}, headers=admin))
    assert kept["message_status"] == "shown"
    assert data(await http.get("/v1/admin/giving/messages/flagged", headers=admin)) == []
    error(await http.post(f"{moderate}/don_nope", json={"action": "keep"}, headers=admin), 404)
    # Flagged again after it was kept: the queue counts the new flags only.
    data(await http.post(f"{base}/messages/{kind['id']}/flag", json={"reason": "Again"}))
    queue = data(await http.get("/v1/admin/giving/messages/flagged", headers=admin))
    assert [(m["donation_id"], m["flags"]) for m in queue] == [(kind["id"], 1)]
    data(await http.post(f"{moderate}/{kind['id']}", json={"action": "keep"}, headers=admin))

    wall = data(await http.get(f"{base}/donors"))
    assert len(wall) == 3  # the gift stays on the wall, so it still adds up
    assert {w["message"] for w in wall} == {"Praying for you, Ada", None}
    assert "spam.example" not in (await http.get(f"/giving/campaigns/{giving.id}")).text
    error(await http.post(f"{base}/messages/{rude['id']}/flag", json=flag), 404)
    r = await http.post(
        f"{moderate}/{kind['id']}", json={"action": "keep"}, headers=giving.organizer
    )
    assert r.status_code in (401, 403)


async def test_the_organizer_hides_only_on_their_own_campaign(
    giving: Giving, http: httpx.AsyncClient
) -> None:
    await giving.launch()
    gift = await giving.give(200_000, tip=0, message="Nonsense")
    url = f"/v1/giving/my/campaigns/{giving.id}/messages/{gift['id']}/hide"
    other = await register_and_login(http, f"other-{secrets.token_hex(3)}@example.com")
    error(
        await http.post(url, json={"reason": "Not mine"}, headers=other), 404, "campaign_not_found"
    )
    error(await http.post(url, json={"reason": ""}, headers=giving.organizer), 422)
    hidden = data(await http.post(url, json={"reason": "Off topic"}, headers=giving.organizer))
    assert hidden["message_status"] == "hidden"
    wall = data(await http.get(f"/v1/giving/campaigns/{giving.id}/donors"))
    assert wall[0]["message"] is None
    # Another campaign's gift through this campaign's path: 404.
    await giving.launch(title="Second fundraiser")
    other_url = f"/v1/giving/my/campaigns/{giving.id}/messages/{gift['id']}/hide"
    error(
        await http.post(other_url, json={"reason": "Wrong campaign"}, headers=giving.organizer), 404
    )


async def test_flag_on_the_page_and_decide_in_the_console(
    giving: Giving, http: httpx.AsyncClient, platform: Platform
) -> None:
    await giving.launch()
    first = await giving.give(200_000, tip=0, message="Stay strong")
    rude = await giving.give(300_000, tip=0, message="Visit spam.example now")
    page = f"/giving/campaigns/{giving.id}"
    async with httpx.AsyncClient(base_url=platform.base_url) as visitor:
        html = (await visitor.get(page)).text
        assert f'id="f-reason-{first["id"]}"' in html and repeated_ids(html) == []
        action = f"{page}/messages/{rude['id']}/flag"
        r = await post_form(visitor, page, action, {"reason": ""})
        assert r.status_code == 422 and f'id="e-reason-{rude["id"]}"' in r.text
        r = await post_form(visitor, page, action, {"reason": "Spam link"})
        assert r.status_code == 303
        r = await post_form(visitor, page, f"{page}/messages/{rude['id']}/hide", {"reason": "x"})
        assert r.status_code == 303 and r.headers["location"].startswith("/sign-in")
    async with console(platform.base_url, giving.admin) as admin:
        queue = (await admin.get("/admin/giving")).text
        assert "Visit spam.example now" in queue and repeated_ids(queue) == []
        url = f"/admin/giving/messages/{rude['id']}"
        r = await post_form(admin, "/admin/giving", url, {"action": "hide"})
        assert r.status_code == 422 and 'data-code="reason_required"' in r.text
        r = await post_form(admin, "/admin/giving", url, {"action": "hide", "reason": "Spam"})
        assert r.status_code == 303
        assert "Visit spam.example now" not in (await admin.get("/admin/giving")).text
    assert "spam.example" not in (await http.get(page)).text


async def test_the_organizer_hides_from_the_campaign_page(
    giving: Giving, http: httpx.AsyncClient, platform: Platform
) -> None:
    tag = secrets.token_hex(3)
    owner, stranger = f"owner-{tag}@example.com", f"stranger-{tag}@example.com"
    mine = Giving(http, await register_and_login(http, owner), giving.admin)
    await register_and_login(http, stranger)
    await mine.launch()
    gift = await mine.give(200_000, tip=0, message="Off-topic words")
    page = f"/giving/campaigns/{mine.id}"
    action = f"{page}/messages/{gift['id']}/hide"
    async with httpx.AsyncClient(base_url=platform.base_url) as other:
        await sign_in(other, stranger, PASSWORD)
        assert "Hide these words" not in (await other.get(page)).text
        r = await post_form(other, page, action, {"reason": "Not my campaign"})
        assert r.status_code == 404 and 'data-code="campaign_not_found"' in r.text
        assert "Off-topic words" in (await other.get(page)).text
    async with httpx.AsyncClient(base_url=platform.base_url) as organizer:
        await sign_in(organizer, owner, PASSWORD)
        assert "Hide these words" in (await organizer.get(page)).text
        r = await post_form(organizer, page, action, {"reason": ""})
        assert r.status_code == 422 and f'id="e-reason-{gift["id"]}"' in r.text
        r = await post_form(organizer, page, action, {"reason": "Off topic"})
        assert r.status_code == 303
    assert "Off-topic words" not in (await http.get(page)).text
