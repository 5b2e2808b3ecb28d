"""Sending through the outbox over real HTTP to the messaging sandbox: failover between SMS
providers, attempts recorded, never sent twice, email through SendGrid and SMTP, WhatsApp."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs import Job, JobStatus
from kro.jobs.worker import drain
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.notifications.service import REDACTED, notify
from kro.settings import Settings
from tests.notifications.messaging_fixtures import (
    Messaging,
    Smtp,
    attempts,
    make_user,
    messaging_settings,
    notifications_of,
    run_all_retries,
    sample_context,
)

PHONE = "+2348012345678"


async def _notify(
    sessions: async_sessionmaker[AsyncSession],
    user_id: str,
    event: str = "order.funded",
    channels: tuple[str, ...] = ("sms",),
    key: str = "ord_01test",
) -> None:
    async with unit_of_work(sessions) as session:
        await notify(session, user_id, event, sample_context(), dedupe_key=key, channels=channels)


async def test_sms_goes_through_the_first_provider(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, messaging: Messaging
) -> None:
    user = await make_user(sessions)
    await _notify(sessions, user.id)
    assert await drain(sessions, settings) == 1
    [sent] = await notifications_of(sessions, user.id)
    assert (sent.status, sent.provider, sent.address) == ("sent", "termii", PHONE)
    [inbox] = await messaging.inbox(to=PHONE)
    assert inbox["provider"] == "termii" and inbox["channel"] == "sms"
    assert inbox["message_id"] == sent.provider_message_id
    assert "₦250,000.00" in inbox["body"] and "Website redesign" in inbox["body"]


async def test_sms_delivered_by_the_second_provider_when_the_first_is_down(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, messaging: Messaging
) -> None:
    assert (await messaging.faults("termii", down=True))["down"] is True
    user = await make_user(sessions)
    await _notify(sessions, user.id)
    assert await drain(sessions, settings) == 1
    [sent] = await notifications_of(sessions, user.id)
    assert (sent.status, sent.provider) == ("sent", "twilio")
    assert sent.provider_message_id and sent.provider_message_id.startswith("SM")
    tried = await attempts(sessions, sent.id)
    assert [(a.provider, a.outcome) for a in tried] == [
        ("termii", "unavailable"),
        ("twilio", "sent"),
    ]
    assert tried[0].error and "503" in tried[0].error and tried[0].duration_ms >= 0
    [inbox] = await messaging.inbox(to=PHONE)
    assert inbox["provider"] == "twilio" and inbox["to"] == PHONE


async def test_a_slow_provider_times_out_and_the_next_one_sends(
    db_url: str, sessions: async_sessionmaker[AsyncSession], messaging: Messaging
) -> None:
    # Timeout 4 s against 8 s of latency: room for a slow machine to answer Twilio's 503 in time.
    settings = messaging_settings(db_url, messaging, notification_timeout=4.0)
    await messaging.faults("termii", latency=8.0)
    await messaging.faults("twilio", error_rate=1.0)
    user = await make_user(sessions)
    await _notify(sessions, user.id)
    await drain(sessions, settings)
    [sent] = await notifications_of(sessions, user.id)
    tried = [(a.provider, a.outcome) for a in await attempts(sessions, sent.id)]
    assert tried == [("termii", "timeout"), ("twilio", "unavailable"), ("telnyx", "sent")]
    assert sent.provider == "telnyx"


async def test_every_provider_down_retries_then_fails(
    db_url: str, sessions: async_sessionmaker[AsyncSession], messaging: Messaging
) -> None:
    settings = messaging_settings(db_url, messaging, job_max_attempts=2)
    for provider in ("termii", "twilio", "telnyx"):
        await messaging.faults(provider, down=True)
    user = await make_user(sessions)
    await _notify(sessions, user.id)
    await run_all_retries(sessions, settings)
    [failed] = await notifications_of(sessions, user.id)
    assert failed.status == "failed" and failed.last_error
    assert len(await attempts(sessions, failed.id)) == 6  # 3 providers x 2 job attempts
    async with sessions() as session:
        [job] = (await session.execute(Job.__table__.select())).all()
    assert job.status == JobStatus.DEAD.value
    assert await messaging.inbox(to=PHONE) == []


async def test_a_notification_is_never_sent_twice_when_its_job_runs_twice(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, messaging: Messaging
) -> None:
    user = await make_user(sessions)
    await _notify(sessions, user.id)
    await drain(sessions, settings)
    # The job runs again, as after a crash between sending and completing the job.
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(Job).values(status=JobStatus.QUEUED.value, run_at=utcnow(), finished_at=None)
        )
    assert await drain(sessions, settings) == 1
    # The same event notified again: nothing new is written, queued or sent.
    await _notify(sessions, user.id)
    assert await drain(sessions, settings) == 0
    [sent] = await notifications_of(sessions, user.id)
    assert len(await attempts(sessions, sent.id)) == 1
    assert len(await messaging.inbox(to=PHONE)) == 1


async def test_email_through_sendgrid(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, messaging: Messaging
) -> None:
    user = await make_user(sessions, email="ada.sendgrid@example.com")
    await _notify(sessions, user.id, "order.released", channels=("email",))
    await drain(sessions, settings)
    [sent] = await notifications_of(sessions, user.id)
    assert (sent.status, sent.provider) == ("sent", "sendgrid")
    [mail] = await messaging.inbox(to="ada.sendgrid@example.com")
    assert mail["channel"] == "email" and mail["from"] == settings.email_from
    assert mail["subject"] == '₦250,000.00 released for "Website redesign"'
    assert "Hello Ada Obi" in mail["body"] and "<html" in mail["html"]
    assert mail["message_id"] == sent.provider_message_id


async def test_email_through_smtp(
    db_url: str, sessions: async_sessionmaker[AsyncSession], messaging: Messaging, smtp: Smtp
) -> None:
    settings = messaging_settings(db_url, messaging, email_providers="smtp", smtp_port=smtp.port)
    user = await make_user(sessions, email="ada.smtp@example.com")
    await _notify(sessions, user.id, "payout.failed", channels=("email",))
    await drain(sessions, settings)
    [sent] = await notifications_of(sessions, user.id)
    assert (sent.status, sent.provider) == ("sent", "smtp")
    [mail] = smtp.received
    assert mail["To"] == "Ada Obi <ada.smtp@example.com>"
    assert mail["Subject"] == "Your payout of ₦250,000.00 failed"
    assert f"<{sent.provider_message_id}>" == mail["Message-ID"]
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and "back in your KRO balance" in text.get_content()
    assert html is not None and "<h2" in html.get_content()
    assert await messaging.inbox(to="ada.smtp@example.com") == []


async def test_email_fails_over_from_sendgrid_to_smtp(
    db_url: str, sessions: async_sessionmaker[AsyncSession], messaging: Messaging, smtp: Smtp
) -> None:
    settings = messaging_settings(
        db_url, messaging, email_providers="sendgrid,smtp", smtp_port=smtp.port
    )
    await messaging.faults("sendgrid", error_rate=1.0)
    user = await make_user(sessions, email="ada.failover@example.com")
    await _notify(sessions, user.id, "order.disputed", channels=("email",))
    await drain(sessions, settings)
    [sent] = await notifications_of(sessions, user.id)
    assert sent.provider == "smtp" and len(smtp.received) == 1


async def test_whatsapp_through_termii_then_twilio(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, messaging: Messaging
) -> None:
    user = await make_user(sessions)
    await _notify(sessions, user.id, "order.funded", channels=("whatsapp",), key="k1")
    await drain(sessions, settings)
    await messaging.faults("termii", down=True)
    await _notify(sessions, user.id, "order.released", channels=("whatsapp",), key="k2")
    await drain(sessions, settings)
    inbox = await messaging.inbox(to=PHONE, channel="whatsapp")
    assert [(m["provider"], m["to"]) for m in reversed(inbox)] == [
        ("termii", "2348012345678"),
        ("twilio", f"whatsapp:{PHONE}"),
    ]


async def test_secrets_are_blanked_once_sent(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, messaging: Messaging
) -> None:
    user = await make_user(sessions, phone=None)
    async with unit_of_work(sessions) as session:
        await notify(
            session,
            user.id,
            "identity.phone_code",
            {"code": "424242", "minutes": 10},
            dedupe_key="pvc_1",
            to={"sms": "+2348099999999"},
        )
    [pending] = await notifications_of(sessions, user.id)
    assert pending.context["code"] == "424242"
    await drain(sessions, settings)
    [sent] = await notifications_of(sessions, user.id)
    assert sent.status == "sent" and sent.context["code"] == REDACTED
    [sms] = await messaging.inbox(to="+2348099999999")
    assert "424242" in sms["body"]


async def test_retry_later_after_a_transient_failure(
    db_url: str, sessions: async_sessionmaker[AsyncSession], messaging: Messaging
) -> None:
    settings = messaging_settings(db_url, messaging, sms_providers="termii")
    await messaging.faults("termii", down=True)
    user = await make_user(sessions)
    await _notify(sessions, user.id)
    await drain(sessions, settings)
    [pending] = await notifications_of(sessions, user.id)
    assert pending.status == "pending"
    await messaging.heal()
    from kro.kit.clock import clock

    clock.advance(timedelta(minutes=5))
    await drain(sessions, settings)
    [sent] = await notifications_of(sessions, user.id)
    assert sent.status == "sent"
    assert [a.outcome for a in await attempts(sessions, sent.id)] == ["unavailable", "sent"]
