"""The web layer's pieces without a browser: money in and out of text, sessions' lifetimes,
CSRF tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.web import sessions
from kro.web.errors import InvalidAmount
from kro.web.formatting import money, parse_amount, when


def test_money_is_shown_in_naira_from_kobo() -> None:
    assert money(25_000_000) == "₦250,000.00"
    assert money(5) == "₦0.05"
    assert money(None) == "—"
    assert money(10**17 + 1) == "₦1,000,000,000,000,000.01"  # exact, no float


@pytest.mark.parametrize(
    ("text", "kobo"),
    [("250,000", 25_000_000), ("₦1,500.50", 150_050), ("2500", 250_000), (" 0.01 ", 1)],
)
def test_amounts_typed_in_naira_become_kobo_exactly(text: str, kobo: int) -> None:
    assert parse_amount(text) == kobo


@pytest.mark.parametrize("text", ["", "two hundred", "1.001", "-5", "1,00,0.5.0", "NaN", "inf"])
def test_what_is_not_an_amount_is_refused(text: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(text)


@given(st.integers(min_value=0, max_value=10**15))
def test_what_is_shown_reads_back_as_the_same_amount(kobo: int) -> None:
    assert parse_amount(money(kobo)) == kobo


def test_times_are_shown_in_lagos() -> None:
    assert when(datetime(2026, 12, 5, 23, 30, tzinfo=UTC)) == "6 Dec 2026, 00:30"


async def test_a_session_ends_when_revoked_expired_or_idle(session: AsyncSession) -> None:
    policy = sessions.SessionPolicy(ttl=3600, idle=600)
    row, token = await sessions.start(session, "usr_1", "app", policy)
    assert row.token_digest != token  # only the digest is stored
    assert await sessions.resolve(session, token, "app", policy) is not None
    assert await sessions.resolve(session, token, "admin", policy) is None  # other audience
    assert await sessions.resolve(session, token + "x", "app", policy) is None
    clock.advance(timedelta(seconds=599))
    assert await sessions.resolve(session, token, "app", policy) is not None  # touched now
    clock.advance(timedelta(seconds=601))
    assert await sessions.resolve(session, token, "app", policy) is None  # idle too long
    _, second = await sessions.start(session, "usr_1", "app", policy)
    clock.advance(timedelta(seconds=3601))
    assert await sessions.resolve(session, second, "app", policy) is None  # expired
    _, third = await sessions.start(session, "usr_1", "app", policy)
    await sessions.end(session, third)
    assert await sessions.resolve(session, third, "app", policy) is None
    _, fourth = await sessions.start(session, "usr_1", "app", policy)
    assert await sessions.end_all(session, "usr_1") == 3  # with the idle and the expired one
    assert await sessions.resolve(session, fourth, "app", policy) is None
