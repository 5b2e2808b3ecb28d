"""Fixtures for notification tests: the messaging sandbox under a real uvicorn server, an SMTP
server (aiosmtpd), settings pointing the adapters at them, users, and a worker drain.

Importing this module registers the ``notifications.send`` handler for :func:`drain`.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import kro.notifications.tasks  # noqa: F401  (the notifications.send handler)
from kro.identity import service as identity_service
from kro.identity.models import User
from kro.jobs.worker import drain
from kro.kit.clock import clock, utcnow
from kro.kit.db import unit_of_work
from kro.notifications.models import Notification, NotificationAttempt
from kro.sandbox.messaging import MessagingSandboxConfig, create_app
from kro.settings import Settings
from tests.support.server import free_port, serve_in_thread

PROVIDERS = ("sendgrid", "termii", "twilio", "telnyx")


@dataclass
class Messaging:
    """The messaging sandbox over HTTP: base URL, fault switches, inbox."""

    url: str

    def base(self, provider: str) -> str:
        return f"{self.url}/{provider}"

    async def faults(self, provider: str, **values: Any) -> dict[str, Any]:
        """Flip ``provider``'s fault switch over HTTP (``down``, ``error_rate``, ``latency``)."""
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.put(f"{self.base(provider)}/_sandbox/faults", json=values)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def heal(self) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            for provider in PROVIDERS:
                r = await http.delete(f"{self.base(provider)}/_sandbox/faults")
                assert r.status_code == 200, r.text

    async def inbox(self, **params: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.get(f"{self.url}/inbox/messages", params=params)
        assert r.status_code == 200, r.text
        messages: list[dict[str, Any]] = r.json()["messages"]
        return messages


@pytest.fixture(scope="module")
def messaging_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Messaging]:
    db = tmp_path_factory.mktemp("messaging") / "sandbox.db"
    config = MessagingSandboxConfig(database_url=f"sqlite+aiosqlite:///{db}")
    with serve_in_thread(lambda _port: create_app(config)) as url:
        yield Messaging(url)


@pytest.fixture
async def messaging(messaging_server: Messaging) -> AsyncIterator[Messaging]:
    """The sandbox, healthy and with an empty inbox at the start of the test."""
    await messaging_server.heal()
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.delete(f"{messaging_server.url}/inbox/messages")
        assert r.status_code == 200, r.text
    yield messaging_server
    await messaging_server.heal()


@dataclass
class Smtp:
    """An aiosmtpd server that keeps every message it receives."""

    port: int
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.received.append(parsed)
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    server = Smtp(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def messaging_settings(db_url: str, messaging: Messaging, **overrides: Any) -> Settings:
    """Settings of a test worker whose adapters point at the messaging sandbox."""
    values: dict[str, Any] = {
        "env": "test",
        "database_url": db_url,
        "worker_in_process": False,
        "sandbox_enabled": False,
        "worker_schedule_periodic": False,
        "job_max_attempts": 3,
        "notification_timeout": 3.0,
        **{f"{p}_base_url": messaging.base(p) for p in PROVIDERS},
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(db_url: str, messaging: Messaging) -> Settings:
    return messaging_settings(db_url, messaging)


async def make_user(
    sessions: async_sessionmaker[AsyncSession],
    email: str = "ada@example.com",
    phone: str | None = "+2348012345678",
) -> User:
    """A user (with a verified phone unless ``phone`` is None), committed."""
    async with unit_of_work(sessions) as session:
        user = await identity_service.create_user(
            session, email=email, password="correct horse battery", full_name="Ada Obi"
        )
        if phone:
            user.phone, user.phone_verified_at = phone, utcnow()
        await session.flush()
    return user


async def run_all_retries(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Drain, then move time past each backoff and drain again, ``job_max_attempts`` times."""
    for _ in range(settings.job_max_attempts + 1):
        await drain(sessions, settings)
        clock.advance(timedelta(hours=2))


async def notifications_of(
    sessions: async_sessionmaker[AsyncSession], user_id: str
) -> list[Notification]:
    async with sessions() as session:
        stmt = select(Notification).where(Notification.user_id == user_id)
        return list((await session.execute(stmt.order_by(Notification.channel))).scalars())


async def attempts(
    sessions: async_sessionmaker[AsyncSession], notification_id: str
) -> list[NotificationAttempt]:
    async with sessions() as session:
        stmt = select(NotificationAttempt).where(
            NotificationAttempt.notification_id == notification_id
        )
        return list((await session.execute(stmt.order_by(NotificationAttempt.id))).scalars())


def sample_context(**extra: Any) -> dict[str, Any]:
    """A context every order event's template accepts."""
    return {
        "order_id": "ord_01test",
        "title": "Website redesign",
        "amount": 25_000_000,
        "currency": "NGN",
        "counterparty": "Bola Ade",
        "condition": "Homepage delivered",
        "reason": "Late delivery",
        "resolution": "Split 70/30 between seller and buyer",
        "inspection_ends_at": "2026-12-01T12:00:00Z",
        "payout_id": "po_01test",
        **extra,
    }
