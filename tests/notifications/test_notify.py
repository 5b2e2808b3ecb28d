"""``notify``: rows and jobs written in the caller's transaction, once per event, with the
user's channel preferences."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.identity.errors import UserNotFound
from kro.jobs import Job
from kro.kit.db import unit_of_work
from kro.notifications import service
from kro.notifications.errors import UnknownEvent
from kro.notifications.service import notify
from tests.notifications.messaging_fixtures import make_user, notifications_of, sample_context


async def _jobs(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Job)) or 0)


async def test_one_row_and_one_job_per_channel_once_per_event(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    user = await make_user(sessions)
    async with unit_of_work(sessions) as session:
        first = await notify(session, user.id, "order.funded", sample_context(), dedupe_key="o1")
    assert sorted(n.channel for n in first) == ["email", "sms"]
    assert {n.address for n in first} == {"ada@example.com", "+2348012345678"}
    assert all(n.status == "pending" and n.context["recipient_name"] == "Ada Obi" for n in first)
    async with unit_of_work(sessions) as session:
        again = await notify(session, user.id, "order.funded", sample_context(), dedupe_key="o1")
    assert sorted(n.id for n in again) == sorted(n.id for n in first)
    assert await _jobs(sessions) == 2
    async with unit_of_work(sessions) as session:
        await notify(session, user.id, "order.funded", sample_context(), dedupe_key="o2")
    assert len(await notifications_of(sessions, user.id)) == 4 and await _jobs(sessions) == 4


async def test_nothing_is_written_when_the_caller_rolls_back(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    user = await make_user(sessions)
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            await notify(session, user.id, "order.funded", sample_context(), dedupe_key="o1")
            raise RuntimeError("the state change failed")
    assert await notifications_of(sessions, user.id) == [] and await _jobs(sessions) == 0


async def test_sms_needs_a_verified_phone(sessions: async_sessionmaker[AsyncSession]) -> None:
    user = await make_user(sessions, phone=None)
    async with unit_of_work(sessions) as session:
        rows = await notify(session, user.id, "order.funded", sample_context(), dedupe_key="o1")
    assert [n.channel for n in rows] == ["email"]


async def test_preferences(sessions: async_sessionmaker[AsyncSession]) -> None:
    user = await make_user(sessions)
    async with unit_of_work(sessions) as session:
        prefs = await service.get_preferences(session, user.id)
        assert prefs["order.funded"] == {"email": True, "sms": True, "whatsapp": False}
        assert "identity.magic_link" not in prefs
        changed = await service.set_preferences(
            session, user.id, "order.funded", {"sms": False, "whatsapp": True}
        )
        assert changed == {"email": True, "sms": False, "whatsapp": True}
        rows = await notify(session, user.id, "order.funded", sample_context(), dedupe_key="o")
        assert sorted(n.channel for n in rows) == ["email", "whatsapp"]
        with pytest.raises(UnknownEvent):
            await service.set_preferences(session, user.id, "identity.phone_code", {"sms": False})
        with pytest.raises(UnknownEvent):
            await service.set_preferences(session, user.id, "order.nothing", {"sms": False})


async def test_security_events_ignore_preferences_and_go_where_addressed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    user = await make_user(sessions, phone=None)
    async with unit_of_work(sessions) as session:
        rows = await notify(
            session,
            user.id,
            "identity.phone_code",
            {"code": "123456", "minutes": 10},
            dedupe_key="pvc_1",
            to={"sms": "+2348000000001"},
            channels=["sms", "email"],
        )
    assert [(n.channel, n.address) for n in rows] == [("sms", "+2348000000001")]


async def test_programming_errors_raise(sessions: async_sessionmaker[AsyncSession]) -> None:
    user = await make_user(sessions)
    async with unit_of_work(sessions) as session:
        with pytest.raises(ValueError, match="unknown notification event"):
            await notify(session, user.id, "order.exploded", sample_context(), dedupe_key="o")
        with pytest.raises(ValueError, match="is undefined"):
            await notify(session, user.id, "order.funded", {"amount": 1}, dedupe_key="o")
        with pytest.raises(ValueError, match="JSON"):
            await notify(session, user.id, "order.funded", {"x": object()}, dedupe_key="o")
        with pytest.raises(UserNotFound):
            await notify(session, "usr_nobody", "order.funded", sample_context(), dedupe_key="o")
