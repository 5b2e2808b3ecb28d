"""Fixtures of the browser journeys: one Chromium per test session, and the whole platform
(API, pages, worker, sandboxes) on a real port.

Journeys run on PostgreSQL when it is configured (CI), else on SQLite: they are few and
whole, and the services under them are tested on both backends elsewhere. Chromium must be
there (``make test`` installs Debian's package): a missing browser fails, it never skips.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright, expect

from tests.conftest import PG_URL, _drop_pg_database, _new_pg_database, _new_sqlite_database
from tests.support.platform import Platform, run_platform
from tests.web.browser import CHROMIUM, CHROMIUM_FOUND, PHONE

# Assertions wait as long as actions do: a busy CI machine is slower than a laptop.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM_FOUND, "Chromium is missing: run `make test` (it installs it)"
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        await chromium.close()


@pytest.fixture
def web_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """PostgreSQL when configured, else SQLite: a fresh database with the schema."""
    if not PG_URL:
        yield _new_sqlite_database(tmp_path_factory)
        return
    name, url = _new_pg_database(request.getfixturevalue("pg_template"))
    yield url
    _drop_pg_database(name)


@pytest.fixture
def platform(web_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The platform as ``make run`` serves it, on a free port."""
    sandbox = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sandbox')}/sandbox.db"
    with run_platform(web_db_url, sandbox) as running:
        yield running


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookies) at phone width."""
    ctx = await browser.new_context(viewport=PHONE, locale="en-NG", timezone_id="Africa/Lagos")
    ctx.set_default_timeout(15_000)
    yield ctx
    await ctx.close()
