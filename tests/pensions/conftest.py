"""Pensions fixtures: the platform under a real server (Remita and PenCom simulators mounted),
and a driver for an employer's team."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.escrow.conftest import assert_ledger_ok
from tests.support.api import data, register_and_login
from tests.support.platform import Platform, run_platform

PFAS = ("ARM", "SIB", "LWP")
PASSWORD = "correct horse battery"  # register_and_login's default


@pytest.fixture
async def platform(
    db_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Platform]:
    sandbox_db = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sandbox')}/sandbox.db"
    with run_platform(db_url, sandbox_db) as p:
        yield p
    await assert_ledger_ok(sessions)


@pytest.fixture
async def http(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as c:
        yield c


def people(count: int, hire: date = date(2024, 1, 15)) -> list[dict[str, Any]]:
    """Employees for an import: PINs PEN + 12 digits, PFAs in turn, pay in naira text."""
    rows = []
    for i in range(count):
        rows.append(
            {
                "staff_id": f"S{i + 1:03d}",
                "surname": f"Okafor{i}",
                "first_name": "Ada",
                "other_names": "",
                "email": f"ada{i}@example.com",
                "phone": "08030000000",
                "date_of_birth": "1990-05-01",
                "hire_date": hire.isoformat(),
                "rsa_pin": f"PEN{100000000000 + i}",
                "pfa_code": PFAS[i % len(PFAS)],
                "bvn": f"{22200000000 + i}",
                "basic": "150,000.00",
                "housing": "50000",
                "transport": "25,000",
                "other_allowances": "10000",
                "voluntary": "0",
            }
        )
    return rows


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


@dataclass
class Team:
    """An employer with an HR officer (owner) and a finance approver enrolled in TOTP."""

    http: httpx.AsyncClient
    hr: dict[str, str]
    finance: dict[str, str]
    totp: pyotp.TOTP
    employer: dict[str, Any]
    hr_email: str = ""
    finance_email: str = ""

    @property
    def base(self) -> str:
        return f"/v1/pensions/employers/{self.employer['id']}"

    async def import_rows(self, rows: list[dict[str, Any]]) -> httpx.Response:
        files = {"file": ("staff.csv", to_csv(rows), "text/csv")}
        return await self.http.post(f"{self.base}/employees/import", files=files, headers=self.hr)

    async def enrol_holders(self, rows: list[dict[str, Any]]) -> None:
        holders = [
            {
                "pin": r["rsa_pin"],
                "surname": r["surname"],
                "first_name": r["first_name"],
                "date_of_birth": r["date_of_birth"],
                "pfa_code": r["pfa_code"],
            }
            for r in rows
        ]
        r = await self.http.post("/sandbox/pencom/_sandbox/holders", json=holders)
        assert r.status_code == 200, r.text

    def code(self) -> str:
        """A code newer than the one that confirmed enrolment (the next 30 s step; the
        server accepts ±1 step of drift and never the same step twice)."""
        import time

        return self.totp.at(time.time() + 30)


async def make_team(
    http: httpx.AsyncClient, salary_day: int = 28, incorporated: str | None = None
) -> Team:
    """A new employer (incorporated this month unless said otherwise) and its team."""
    from kro.kit.clock import utcnow

    incorporated = incorporated or utcnow().date().replace(day=1).isoformat()
    tag = secrets.token_hex(3)
    hr_email = f"hr-{tag}@example.com"
    hr = await register_and_login(http, hr_email)
    finance_email = f"fin-{tag}@example.com"
    finance = await register_and_login(http, finance_email)
    employer = data(
        await http.post(
            "/v1/pensions/employers",
            json={
                "name": f"Acme {tag} Ltd",
                "rc_number": "RC123456",
                "tin": "12345678-0001",
                "address": "1 Marina, Lagos",
                "state": "Lagos",
                "sector": "Manufacturing",
                "employer_code": "PR0001234",
                "salary_day": salary_day,
                "incorporated_on": incorporated,
            },
            headers=hr,
        ),
        201,
    )
    base = f"/v1/pensions/employers/{employer['id']}"
    data(
        await http.post(
            f"{base}/members", json={"email": finance_email, "role": "finance_approver"}, headers=hr
        ),
        201,
    )
    enrolment = data(await http.post("/v1/pensions/me/totp", headers=finance), 201)
    totp = pyotp.TOTP(enrolment["secret"])
    data(
        await http.post("/v1/pensions/me/totp/confirm", json={"code": totp.now()}, headers=finance)
    )
    return Team(http, hr, finance, totp, employer, hr_email, finance_email)


CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_token(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@asynccontextmanager
async def signed_in(base_url: str, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client (cookies) signed in to the pages as ``email`` (registered by
    :func:`make_team` with the default test password)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        page = await client.get("/sign-in")
        form = {"email": email, "password": PASSWORD, "csrf_token": csrf_token(page.text)}
        r = await client.post("/sign-in", data={**form, "next": "/pensions"})
        assert r.status_code == 303, r.text
        yield client


async def post_page(
    client: httpx.AsyncClient, page: str, action: str, fields: dict[str, str]
) -> httpx.Response:
    """Open ``page`` for its CSRF token and post ``fields`` to ``action`` (no redirects)."""
    html = (await client.get(page)).text
    return await client.post(action, data={**fields, "csrf_token": csrf_token(html)})
