"""Pure rules of the jobs module: backoff, error text, names, handler registration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kro.jobs import JobContext
from kro.jobs.queue import backoff_delay, format_error, truncate_error
from kro.jobs.registry import (
    check_job_name,
    extra_modules,
    get_handler,
    job_handler,
    load_handlers,
    unregister,
)
from kro.settings import Settings


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    base=st.floats(min_value=0.01, max_value=60),
    cap=st.floats(min_value=1, max_value=86_400),
    draw=st.floats(min_value=0, max_value=1),
)
def test_backoff_is_full_jitter_under_an_exponential_capped_ceiling(
    attempt: int, base: float, cap: float, draw: float
) -> None:
    delay = backoff_delay(attempt, base=base, cap=cap, rand=lambda: draw)
    ceiling = min(cap, base * 2 ** min(attempt - 1, 60))
    assert timedelta(0) <= delay <= timedelta(seconds=ceiling) + timedelta(microseconds=1)
    assert delay == timedelta(seconds=ceiling * draw)


def test_backoff_doubles_until_the_cap() -> None:
    top = [backoff_delay(n, base=2, cap=60, rand=lambda: 1.0).total_seconds() for n in range(1, 8)]
    assert top == [2, 4, 8, 16, 32, 60, 60]
    assert backoff_delay(1, base=2, cap=60) <= timedelta(seconds=2)


def test_error_text_keeps_message_and_end_of_traceback() -> None:
    try:
        raise ValueError("provider said no")
    except ValueError as exc:
        text = format_error(exc)
    assert text.startswith("ValueError: provider said no\n")
    assert "Traceback" in text
    long = "HEAD" + "x" * 10_000 + "TAIL"
    cut = truncate_error(long, limit=100)
    assert len(cut) == 100
    assert cut.startswith("HEAD") and cut.endswith("TAIL") and "[truncated]" in cut
    assert truncate_error("short") == "short"


@pytest.mark.parametrize("name", ["escrow.release_funds", "payments.webhook.process", "a.b"])
def test_good_job_names(name: str) -> None:
    assert check_job_name(name) == name


@pytest.mark.parametrize("name", ["release", "Escrow.release", "escrow.", ".x", "a.b-c", ""])
def test_bad_job_names(name: str) -> None:
    with pytest.raises(ValueError):
        check_job_name(name)


def test_a_name_has_one_handler() -> None:
    async def first(ctx: JobContext, payload: dict[str, Any]) -> None: ...

    async def second(ctx: JobContext, payload: dict[str, Any]) -> None: ...

    job_handler("tests.only_one")(first)
    try:
        job_handler("tests.only_one")(first)  # the same function again (a re-import): fine
        with pytest.raises(ValueError, match="already handled"):
            job_handler("tests.only_one")(second)
        assert get_handler("tests.only_one") is first
    finally:
        unregister("tests.only_one")
    assert get_handler("tests.only_one") is None


def test_handler_modules_come_from_the_list_and_the_setting() -> None:
    settings = Settings(job_extra_modules=" tests.jobs.handlers, ,other.mod ")
    assert extra_modules(settings) == ["tests.jobs.handlers", "other.mod"]
    names = load_handlers(["tests.jobs.handlers"])
    assert {"jobs.purge_finished", "tests.effect", "tests.tick"} <= set(names)
    with pytest.raises(ModuleNotFoundError):
        load_handlers(["tests.jobs.no_such_module"])
