"""Update emails reach every donor who opted in, account or not, once per address per
update, each with a signed unsubscribe link that needs no account."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx

from tests.giving.conftest import Giving
from tests.giving.console import post_form
from tests.support.api import data, error
from tests.support.platform import eventually

LINK = re.compile(r"(http\S+/giving/updates/unsubscribe\?token=(\S+))")


async def _mails(http: httpx.AsyncClient, address: str, subject: str) -> list[dict[str, Any]]:
    found = await http.get("/sandbox/messaging/inbox/messages", params={"to": address})
    return [m for m in found.json()["messages"] if subject in m.get("subject", "")]


async def _post_update(giving: Giving, http: httpx.AsyncClient, title: str) -> None:
    body = {"title": title, "body": "Ada's surgery is booked for Monday."}
    url = f"/v1/giving/my/campaigns/{giving.id}/updates"
    data(await http.post(url, json=body, headers=giving.organizer), 201)


async def test_updates_reach_guests_once_and_the_link_unsubscribes(
    giving: Giving, http: httpx.AsyncClient
) -> None:
    await giving.launch()
    tag = secrets.token_hex(3)
    ada, bola, chi = (f"{n}-{tag}@example.com" for n in ("ada", "bola", "chi"))
    await giving.give(100_000, tip=0, email=ada, opt_in=True)
    await giving.give(100_000, tip=0, email=ada.upper(), opt_in=True)  # the same address
    await giving.give(100_000, tip=0, email=bola, opt_in=True)
    await giving.give(100_000, tip=0, email=chi, opt_in=False)
    await _post_update(giving, http, f"Booked {tag}")

    async def delivered() -> bool:
        # Each address's mail is its own job, so they arrive in any order.
        return all([await _mails(http, who, f"Booked {tag}") for who in (ada, bola)])

    await eventually(delivered)
    [mail] = await _mails(http, ada, f"Booked {tag}")
    assert "Ada's surgery is booked" in mail["body"]
    assert await _mails(http, chi, f"Booked {tag}") == []
    link, token = LINK.search(mail["body"]).groups()  # type: ignore[union-attr]
    path = link.split("://", 1)[1].split("/", 1)[1]

    # The link opens a page with a button; opening it changes nothing.
    page = await http.get("/" + path)
    assert page.status_code == 200 and ada in page.text
    forged = await http.get("/giving/updates/unsubscribe", params={"token": token[:-3] + "abc"})
    assert forged.status_code == 404
    error(
        await http.post("/v1/giving/updates/unsubscribe", json={"token": token[:-3] + "abc"}),
        404,
        "unsubscribe_link_invalid",
    )
    async with httpx.AsyncClient(base_url=str(http.base_url)) as browser:
        r = await post_form(browser, "/" + path, "/giving/updates/unsubscribe", {"token": token})
        assert r.status_code == 200 and "no more updates" in r.text
    again = data(await http.post("/v1/giving/updates/unsubscribe", json={"token": token}))
    assert again == {"campaign_id": giving.id, "email": ada}

    await _post_update(giving, http, f"Surgery done {tag}")

    async def second() -> bool:
        return bool(await _mails(http, bola, f"Surgery done {tag}"))

    await eventually(second)
    assert await _mails(http, ada, f"Surgery done {tag}") == []

    # Giving again with the box ticked subscribes the address again.
    await giving.give(100_000, tip=0, email=ada, opt_in=True)
    await _post_update(giving, http, f"Home {tag}")

    async def third() -> bool:
        return bool(await _mails(http, ada, f"Home {tag}"))

    await eventually(third)
