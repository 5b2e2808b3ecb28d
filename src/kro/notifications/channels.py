"""Senders: one per provider, each able to deliver a rendered message on some channels.

The configured chains (``KRO_SMS_PROVIDERS``, ``KRO_WHATSAPP_PROVIDERS``,
``KRO_EMAIL_PROVIDERS``) name them in order. Every sender raises only
:mod:`kro.providers.errors` and returns the provider's message id.

=========  ===================  ==========================================================
Provider   Channels             How
=========  ===================  ==========================================================
termii     sms, whatsapp        ``POST /api/sms/send`` (``channel`` dnd/generic, whatsapp)
twilio     sms, whatsapp        ``POST …/Messages.json`` (``whatsapp:+…`` addressing)
telnyx     sms                  ``POST /v2/messages``
sendgrid   email                ``POST /v3/mail/send``
smtp       email                aiosmtplib to ``KRO_SMTP_HOST:KRO_SMTP_PORT``
=========  ===================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

import aiosmtplib

from kro.kit.http import shared_client
from kro.notifications.events import Channel
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.sendgrid import SendGridClient
from kro.providers.telnyx import TelnyxClient
from kro.providers.termii import TermiiClient
from kro.providers.twilio import TwilioClient
from kro.settings import Settings


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A rendered message for one address. ``to``: email or E.164 phone (``+234…``);
    ``subject``/``html`` for email only; ``reference``: our notification id."""

    channel: Channel
    to: str
    text: str
    reference: str
    to_name: str | None = None
    subject: str | None = None
    html: str | None = None


class Sender(Protocol):
    provider: str

    async def send(self, message: OutgoingMessage) -> str:
        """Deliver ``message``; return the provider's message id. Raises ProviderError."""
        ...


class TermiiSender:
    provider = "termii"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingMessage) -> str:
        s = self.settings
        whatsapp = message.channel == Channel.WHATSAPP
        async with TermiiClient(
            s.termii_base_url,
            s.termii_api_key,
            timeout=s.notification_timeout,
            http_client=shared_client(),
        ) as termii:
            sent = await termii.send(
                message.to,
                message.text,
                sender=s.termii_whatsapp_device if whatsapp else s.termii_sender_id,
                channel="whatsapp" if whatsapp else s.termii_sms_channel,
            )
        return sent.message_id


class TwilioSender:
    provider = "twilio"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingMessage) -> str:
        s = self.settings
        whatsapp = message.channel == Channel.WHATSAPP
        async with TwilioClient(
            s.twilio_base_url,
            s.twilio_account_sid,
            s.twilio_auth_token,
            timeout=s.notification_timeout,
            http_client=shared_client(),
        ) as twilio:
            sent = await twilio.create_message(
                message.to,
                message.text,
                from_=s.twilio_whatsapp_from if whatsapp else s.twilio_from_number,
                whatsapp=whatsapp,
            )
        return sent.sid


class TelnyxSender:
    provider = "telnyx"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingMessage) -> str:
        s = self.settings
        async with TelnyxClient(
            s.telnyx_base_url,
            s.telnyx_api_key,
            timeout=s.notification_timeout,
            http_client=shared_client(),
        ) as telnyx:
            sent = await telnyx.send_message(message.to, message.text, from_=s.telnyx_from_number)
        return sent.id


class SendGridSender:
    provider = "sendgrid"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingMessage) -> str:
        s = self.settings
        async with SendGridClient(
            s.sendgrid_base_url,
            s.sendgrid_api_key,
            timeout=s.notification_timeout,
            http_client=shared_client(),
        ) as sendgrid:
            return await sendgrid.send_mail(
                to_email=message.to,
                to_name=message.to_name,
                from_email=s.email_from,
                from_name=s.email_from_name,
                subject=message.subject or "",
                text=message.text,
                html=message.html,
                custom_args={"notification_id": message.reference},
            )


class SmtpSender:
    """Email over SMTP (aiosmtplib): 4xx/5xx replies → ProviderRejected, refused connection
    → ProviderUnavailable, timeout or a dropped connection → ProviderTimeout."""

    provider = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingMessage) -> str:
        s = self.settings
        email = EmailMessage()
        email["From"] = formataddr((s.email_from_name, s.email_from))
        email["To"] = formataddr((message.to_name or "", message.to))
        email["Subject"] = message.subject or ""
        message_id = make_msgid(domain=s.email_from.rsplit("@", 1)[-1])
        email["Message-ID"] = message_id
        email["X-KRO-Notification"] = message.reference
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        try:
            await aiosmtplib.send(
                email,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password or None,
                start_tls=s.smtp_starttls,
                use_tls=s.smtp_use_tls,
                timeout=s.notification_timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:
            raise ProviderRejected(
                f"SMTP {exc.code}: {exc.message}",
                provider="smtp",
                operation="send",
                provider_status=exc.code,
            ) from exc
        except aiosmtplib.SMTPConnectError as exc:
            raise ProviderUnavailable(
                f"SMTP server unreachable: {exc}", provider="smtp", operation="send"
            ) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise ProviderRejected(
                "SMTP refused the recipient", provider="smtp", operation="send", provider_status=550
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ProviderTimeout(
                f"SMTP failed: {type(exc).__name__}: {exc}", provider="smtp", operation="send"
            ) from exc
        return message_id.strip("<>")


_SENDERS: dict[str, tuple[Callable[[Settings], Sender], frozenset[Channel]]] = {
    "termii": (TermiiSender, frozenset({Channel.SMS, Channel.WHATSAPP})),
    "twilio": (TwilioSender, frozenset({Channel.SMS, Channel.WHATSAPP})),
    "telnyx": (TelnyxSender, frozenset({Channel.SMS})),
    "sendgrid": (SendGridSender, frozenset({Channel.EMAIL})),
    "smtp": (SmtpSender, frozenset({Channel.EMAIL})),
}


def provider_chain(channel: Channel | str, settings: Settings) -> list[str]:
    """The configured provider names for ``channel``, in order."""
    raw = {
        Channel.EMAIL: settings.email_providers,
        Channel.SMS: settings.sms_providers,
        Channel.WHATSAPP: settings.whatsapp_providers,
    }[Channel(channel)]
    return [name.strip().lower() for name in raw.split(",") if name.strip()]


def senders_for(channel: Channel | str, settings: Settings) -> list[Sender]:
    """Senders for ``channel`` in the configured order.

    ``ValueError`` if a configured name is unknown or cannot carry ``channel`` (e.g. telnyx
    for WhatsApp), or if the chain is empty: a configuration error, caught at the first send.
    """
    channel = Channel(channel)
    senders: list[Sender] = []
    for name in provider_chain(channel, settings):
        known = _SENDERS.get(name)
        if known is None:
            raise ValueError(f"unknown {channel} provider {name!r}; known: {sorted(_SENDERS)}")
        cls, channels = known
        if channel not in channels:
            raise ValueError(f"provider {name!r} cannot send {channel}")
        senders.append(cls(settings))
    if not senders:
        raise ValueError(f"no {channel} provider configured")
    return senders
