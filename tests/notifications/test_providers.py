"""The messaging adapters against the sandbox over real HTTP: shapes, auth, errors, faults,
and the inbox."""

from __future__ import annotations

import httpx
import pytest

from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.sendgrid import SendGridClient
from kro.providers.telnyx import TelnyxClient
from kro.providers.termii import TermiiClient
from kro.providers.twilio import TwilioClient
from kro.sandbox.messaging.config import (
    DEFAULT_SENDGRID_KEY,
    DEFAULT_TELNYX_KEY,
    DEFAULT_TERMII_KEY,
    DEFAULT_TWILIO_SID,
    DEFAULT_TWILIO_TOKEN,
)
from tests.notifications.messaging_fixtures import Messaging
from tests.support.server import free_port

TO = "+2348011112222"


async def test_termii(messaging: Messaging) -> None:
    async with TermiiClient(messaging.base("termii"), DEFAULT_TERMII_KEY) as termii:
        sent = await termii.send(TO, "hello", sender="KRO", channel="dnd")
        assert sent.code == "ok" and sent.message_id.isdigit()
        assert sent.message == "Successfully Sent"
        with pytest.raises(ProviderRejected) as err:
            await termii.send("12", "hello", sender="KRO")
        assert err.value.provider_status == 400
    async with TermiiClient(messaging.base("termii"), "wrong") as termii:
        with pytest.raises(ProviderRejected) as err:
            await termii.send(TO, "hello", sender="KRO")
        assert err.value.provider_status == 401
    [captured] = await messaging.inbox(to=TO)
    assert captured["to"] == TO.lstrip("+") and captured["from"] == "KRO"


async def test_twilio(messaging: Messaging) -> None:
    base = messaging.base("twilio")
    async with TwilioClient(base, DEFAULT_TWILIO_SID, DEFAULT_TWILIO_TOKEN) as twilio:
        sent = await twilio.create_message(TO, "hello", from_="+15005550006")
        assert sent.sid.startswith("SM") and len(sent.sid) == 34
        assert (sent.status, sent.to, sent.from_) == ("queued", TO, "+15005550006")
        whatsapp = await twilio.create_message(TO, "hi", from_="+14155238886", whatsapp=True)
        assert whatsapp.to == f"whatsapp:{TO}"
        with pytest.raises(ProviderRejected) as err:
            await twilio.create_message("0801", "hello", from_="+15005550006")
        assert err.value.provider_code == "21211" and err.value.provider_status == 400
    async with httpx.AsyncClient(auth=(DEFAULT_TWILIO_SID, DEFAULT_TWILIO_TOKEN)) as http:
        path = f"/2010-04-01/Accounts/{DEFAULT_TWILIO_SID}/Messages/{sent.sid}.json"
        fetched = (await http.get(base + path)).json()
        assert fetched["sid"] == sent.sid and fetched["body"] == "hello"
        assert fetched["date_created"].endswith("+0000")
        missing = await http.get(base + path.replace(sent.sid, "SM" + "0" * 32))
        assert missing.status_code == 404 and missing.json()["code"] == 20404
    async with TwilioClient(base, DEFAULT_TWILIO_SID, "wrong") as twilio:
        with pytest.raises(ProviderRejected) as err:
            await twilio.create_message(TO, "hello", from_="+15005550006")
        assert (err.value.provider_status, err.value.provider_code) == (401, "20003")


async def test_telnyx(messaging: Messaging) -> None:
    async with TelnyxClient(messaging.base("telnyx"), DEFAULT_TELNYX_KEY) as telnyx:
        sent = await telnyx.send_message(TO, "hello", from_="+15005550007")
        assert sent.record_type == "message" and len(sent.id) == 36 and sent.parts == 1
        with pytest.raises(ProviderRejected) as err:
            await telnyx.send_message("080", "hello", from_="+15005550007")
        assert err.value.provider_code == "40310"
    async with TelnyxClient(messaging.base("telnyx"), "KEYwrong") as telnyx:
        with pytest.raises(ProviderRejected) as err:
            await telnyx.send_message(TO, "hello", from_="+15005550007")
        assert (err.value.provider_status, err.value.provider_code) == (401, "10009")


async def test_sendgrid(messaging: Messaging) -> None:
    base = messaging.base("sendgrid")
    async with SendGridClient(base, DEFAULT_SENDGRID_KEY) as sendgrid:
        message_id = await sendgrid.send_mail(
            to_email="bola@example.com",
            to_name="Bola",
            from_email="no-reply@kro.example.com",
            from_name="KRO",
            subject="Hi",
            text="Hello",
            html="<p>Hello</p>",
        )
        assert len(message_id) == 22
        with pytest.raises(ProviderRejected) as err:
            await sendgrid.send_mail(
                to_email="not-an-email",
                to_name=None,
                from_email="no-reply@kro.example.com",
                from_name=None,
                subject="Hi",
                text="Hello",
            )
        assert err.value.provider_status == 400
    headers = {"Authorization": f"Bearer {DEFAULT_SENDGRID_KEY}"}
    async with httpx.AsyncClient(headers=headers) as http:
        r = await http.post(f"{base}/v3/mail/send", json={})
        fields = {e["field"] for e in r.json()["errors"]}
        assert r.status_code == 400 and {"personalizations", "from.email", "content"} <= fields
        sandboxed = {
            "personalizations": [{"to": [{"email": "x@example.com"}]}],
            "from": {"email": "a@example.com"},
            "subject": "s",
            "content": [{"type": "text/plain", "value": "v"}],
            "mail_settings": {"sandbox_mode": {"enable": True}},
        }
        assert (await http.post(f"{base}/v3/mail/send", json=sandboxed)).status_code == 200
        r = await http.post(f"{base}/v3/mail/send", json={}, headers={"Authorization": "Bearer x"})
        assert r.status_code == 401
    [mail] = await messaging.inbox(channel="email")
    assert (mail["to"], mail["subject"], mail["body"]) == ("bola@example.com", "Hi", "Hello")
    assert mail["html"] == "<p>Hello</p>" and mail["message_id"] == message_id


async def test_fault_switch(messaging: Messaging) -> None:
    state = await messaging.faults("telnyx", error_rate=1.0)
    assert state == {"provider": "telnyx", "down": False, "error_rate": 1.0, "latency": 0.0}
    async with TelnyxClient(messaging.base("telnyx"), DEFAULT_TELNYX_KEY) as telnyx:
        with pytest.raises(ProviderUnavailable):
            await telnyx.send_message(TO, "hello", from_="+15005550007")
    await messaging.faults("telnyx", error_rate=0.0, latency=1.0)
    async with TelnyxClient(messaging.base("telnyx"), DEFAULT_TELNYX_KEY, timeout=0.2) as telnyx:
        with pytest.raises(ProviderTimeout):
            await telnyx.send_message(TO, "hello", from_="+15005550007")
    async with httpx.AsyncClient() as http:
        r = await http.put(f"{messaging.base('telnyx')}/_sandbox/faults", json={"error_rate": 2})
        assert r.status_code == 422
        assert (await http.get(f"{messaging.base('sendgrid')}/_sandbox/faults")).json()[
            "down"
        ] is False


async def test_unreachable_provider_is_unavailable() -> None:
    async with TermiiClient(f"http://127.0.0.1:{free_port()}", "k") as termii:
        with pytest.raises(ProviderUnavailable):
            await termii.send(TO, "hello", sender="KRO")


async def test_inbox_page(messaging: Messaging) -> None:
    async with TermiiClient(messaging.base("termii"), DEFAULT_TERMII_KEY) as termii:
        await termii.send(TO, "Your code is <b>1</b>", sender="KRO")
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{messaging.url}/inbox")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "Sandbox inbox" in page.text and "2348011112222" in page.text
    assert "&lt;b&gt;1&lt;/b&gt;" in page.text and "<b>1</b>" not in page.text
