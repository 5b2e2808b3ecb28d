"""Conversations: direct and per-subject, history with a cursor, unread counts and read
receipts, warnings on shared contact or bank details, attachments, rate limit, and 404 for
anyone who is not a member."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kro.conversations import service
from kro.conversations.errors import TooManyMessages
from tests.support.api import data, error, register_and_login


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Call me on 0803 123 4567", ["phone"]),
        ("+2348031234567 on WhatsApp", ["phone"]),
        ("mail ada@example.com", ["email"]),
        ("Pay to GTBank account 0123456789", ["bank_details"]),
        ("The logo has 3 colours and 1234567890 pixels", []),
        ("See you tomorrow", []),
    ],
)
def test_warnings(body: str, expected: list[str]) -> None:
    assert service.warnings_for(body) == expected


async def _me(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    return str(data(await client.get("/v1/me", headers=headers))["id"])


async def test_a_conversation(client: httpx.AsyncClient) -> None:
    ada = await register_and_login(client, "ada@example.com")
    sola = await register_and_login(client, "sola@example.com")
    eve = await register_and_login(client, "eve@example.com")
    sola_id = await _me(client, sola)
    conv = data(await client.post("/v1/conversations", json={"user_id": sola_id}, headers=ada), 201)
    again = data(
        await client.post("/v1/conversations", json={"user_id": sola_id}, headers=ada), 201
    )
    assert again["id"] == conv["id"]
    url = f"/v1/conversations/{conv['id']}"
    for i in range(3):
        data(await client.post(f"{url}/messages", json={"body": f"hello {i}"}, headers=ada), 201)
    sent = data(
        await client.post(
            f"{url}/messages", json={"body": "my email: ada@example.com"}, headers=ada
        ),
        201,
    )
    assert sent["warnings"] == ["email"]
    error(
        await client.post(f"{url}/messages", json={"body": "  "}, headers=ada), 422, "empty_message"
    )
    listed = data(await client.get("/v1/conversations", headers=sola))
    assert [(c["id"], c["unread"]) for c in listed] == [(conv["id"], 4)]
    page = await client.get(f"{url}/messages?limit=3", headers=sola)
    first = data(page)
    assert [m["body"] for m in first] == ["my email: ada@example.com", "hello 2", "hello 1"]
    assert first[0]["warnings"] == []  # only the sender is warned
    cursor = page.json()["meta"]["pagination"]["next_cursor"]
    older = data(await client.get(f"{url}/messages?limit=3&cursor={cursor}", headers=sola))
    assert [m["body"] for m in older] == ["hello 0"]
    read = data(await client.post(f"{url}/read", headers=sola))
    assert read["unread"] == 0 and read["read_up_to"][sola_id] == sent["id"]
    # Not a member: 404 everywhere.
    for r in (
        await client.get(url, headers=eve),
        await client.get(f"{url}/messages", headers=eve),
        await client.post(f"{url}/messages", json={"body": "hi"}, headers=eve),
        await client.post(f"{url}/read", headers=eve),
    ):
        error(r, 404, "conversation_not_found")
    assert data(await client.get("/v1/conversations", headers=eve)) == []
    # A file.
    r = await client.post(
        f"{url}/attachments",
        files={"file": ("brief.txt", b"the brief", "text/plain")},
        data={"body": "the brief"},
        headers=ada,
    )
    message = data(r, 201)
    assert message["attachments"] == [{"name": "brief.txt", "type": "text/plain", "size": 9}]
    got = await client.get(f"{url}/messages/{message['id']}/attachment", headers=sola)
    assert got.status_code == 200 and got.content == b"the brief"
    assert (
        await client.get(f"{url}/messages/{message['id']}/attachment", headers=eve)
    ).status_code == 404
    bad = await client.post(
        f"{url}/attachments",
        files={"file": ("x.exe", b"MZ", "application/x-msdownload")},
        headers=ada,
    )
    error(bad, 422, "attachment_refused")


async def test_rate_limit(session: AsyncSession) -> None:
    conv = await service.open_for_subject(session, "test", "t1", ["usr_a", "usr_b"], "Test")
    for i in range(service.RATE):
        await service.send(session, "usr_a", conv.id, f"m{i}")
    with pytest.raises(TooManyMessages):
        await service.send(session, "usr_a", conv.id, "one too many")
    assert await service.unread_count(session, "usr_b", conv.id) == service.RATE
