"""The sandbox inbox: every email, SMS and WhatsApp message the simulators accepted.

- ``GET /inbox``: an HTML page (newest first), filters ``?to=&provider=&channel=``.
- ``GET /inbox/messages``: the same as JSON ``{"messages": [{id, provider, channel,
  message_id, to, from, subject, body, html, status, created_at}], "count": n}``; also
  ``limit`` (default 100, at most 1000).
- ``DELETE /inbox/messages``: forget every captured message → ``{"deleted": n}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from jinja2 import Environment, select_autoescape

from kro.kit.db import unit_of_work
from kro.sandbox.messaging import store

if TYPE_CHECKING:
    from kro.sandbox.messaging.app import MessagingSandbox

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>KRO sandbox inbox</title>
<meta http-equiv="refresh" content="10">
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.5rem;
text-align:left;vertical-align:top}th{background:#f4f4f4}pre{white-space:pre-wrap;margin:0;
font-family:inherit}.tag{font-size:.8rem;padding:.1rem .4rem;border-radius:.3rem;
background:#eef}.muted{color:#777;font-size:.85rem}
</style></head><body>
<h1>Sandbox inbox</h1>
<p class="muted">Every email, SMS and WhatsApp message accepted by the SendGrid, Termii, Twilio
and Telnyx simulators ({{ messages|length }} shown, newest first).
JSON: <a href="inbox/messages">inbox/messages</a></p>
<form method="get"><input name="to" placeholder="recipient" value="{{ to or '' }}">
<select name="channel"><option value="">any channel</option>
{% for c in ["email", "sms", "whatsapp"] %}
<option{% if c == channel %} selected{% endif %}>{{ c }}</option>{% endfor %}
</select> <button>Filter</button></form>
<table><thead><tr><th>When</th><th>Channel</th><th>Provider</th><th>To</th><th>From</th>
<th>Message</th></tr></thead><tbody>
{% for m in messages %}<tr><td class="muted">{{ m.created_at }}</td>
<td><span class="tag">{{ m.channel }}</span></td><td>{{ m.provider }}</td><td>{{ m.to }}</td>
<td>{{ m.from }}</td><td>{% if m.subject %}<strong>{{ m.subject }}</strong><br>{% endif %}
<pre>{{ m.body }}</pre></td></tr>
{% else %}<tr><td colspan="6">No messages yet.</td></tr>{% endfor %}
</tbody></table></body></html>
"""

_template = Environment(autoescape=select_autoescape(default=True)).from_string(_PAGE)


def build_inbox_router(sandbox: MessagingSandbox) -> APIRouter:
    router = APIRouter(prefix="/inbox", tags=["sandbox inbox"])

    async def _messages(
        to: str | None, provider: str | None, channel: str | None, limit: int
    ) -> list[dict[str, Any]]:
        async with unit_of_work(sandbox.sessions) as session:
            rows = await store.list_messages(
                session, recipient=to, provider=provider, channel=channel, limit=limit
            )
            return [store.message_data(r) for r in rows]

    @router.get("", response_class=HTMLResponse)
    async def page(
        to: str | None = None,
        provider: str | None = None,
        channel: str | None = None,
        limit: int = 200,
    ) -> HTMLResponse:
        messages = await _messages(to, provider, channel, limit)
        return HTMLResponse(_template.render(messages=messages, to=to, channel=channel))

    @router.get("/messages")
    async def messages(
        to: str | None = None,
        provider: str | None = None,
        channel: str | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        found = await _messages(to, provider, channel, limit)
        return {"messages": found, "count": len(found)}

    @router.delete("/messages")
    async def clear() -> dict[str, int]:
        async with unit_of_work(sandbox.sessions) as session:
            return {"deleted": await store.clear(session)}

    return router
