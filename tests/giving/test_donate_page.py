"""The donate form on a campaign's page, against a real server: Paystack's checkout is opened
with no database lock held while Paystack answers (SQLite's one write lock included: the
form's savepoint is released around the call and opened again after it)."""

from __future__ import annotations

import asyncio
import re

import httpx

from tests.giving.conftest import Giving
from tests.support.db import free_at_some_point
from tests.support.platform import Platform

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


async def test_the_donate_form_holds_no_lock_while_paystack_answers(
    giving: Giving, http: httpx.AsyncClient, platform: Platform, db_url: str
) -> None:
    await giving.launch()
    await giving.give(50_000, pay=False)  # the campaign's ledger account exists from now on
    page_path = f"/giving/campaigns/{giving.id}"
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as browser:
        page = await browser.get(page_path)
        assert page.status_code == 200
        token = TOKEN.search(page.text)
        assert token is not None
        faults = f"{platform.sandbox}/_sandbox/faults"
        assert (await http.put(faults, json={"latency_ms": 5000})).status_code == 200
        try:
            sent = asyncio.create_task(
                browser.post(
                    f"{page_path}/donate",
                    data={
                        "csrf_token": token.group(1),
                        "name": "Ngozi Eze",
                        "email": "ngozi@example.com",
                        "custom_amount": "2,500",
                    },
                )
            )
            # 5 s of latency: the checks below take up to ~1.5 s, and a loaded machine (two test
            # processes on two cores) may stall this loop; 2 s once proved too short.
            await asyncio.sleep(0.3)  # the form is waiting for Paystack now, for 4.7 s more
            assert await free_at_some_point(db_url, 1.0)
            assert not sent.done()
            answer = await sent
        finally:
            await http.put(faults, json={"latency_ms": 0})
    assert answer.status_code == 303, answer.text
    assert "/checkout/" in answer.headers["location"]
