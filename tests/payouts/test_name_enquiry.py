"""Name enquiry over the API against a real server with a slow Paystack simulator: the
request's transaction (begun by reading the user) is ended before Paystack is asked, so on
SQLite no other writer waits for the bank (``kro.kit.db.released``); the answer is the bank's
name."""

from __future__ import annotations

import asyncio

import httpx

from tests.escrow import conftest as _escrow
from tests.support.api import data, register_and_login
from tests.support.db import free_at_some_point
from tests.support.platform import Platform

platform = _escrow.platform
http = _escrow.http


async def test_name_enquiry_holds_no_lock_while_paystack_answers(
    http: httpx.AsyncClient, platform: Platform, db_url: str
) -> None:
    user = await register_and_login(http, "enquirer@example.com", name="Amaka Obi")
    banks = data(await http.get("/v1/banks", headers=user))
    bank = banks[0]["code"]
    faults = f"{platform.sandbox}/_sandbox/faults"
    assert (await http.put(faults, json={"latency_ms": 5000})).status_code == 200
    try:
        asked = asyncio.create_task(
            http.get(
                "/v1/banks/resolve",
                params={"bank_code": bank, "account_number": "0000000005"},
                headers=user,
            )
        )
        # 5 s of latency: the checks below take up to ~1.5 s, and a loaded machine (two test
        # processes on two cores) may stall this loop; 2 s once proved too short.
        await asyncio.sleep(0.3)  # the request is waiting for Paystack now, for 4.7 s more
        assert await free_at_some_point(db_url, 1.0)
        assert not asked.done()
        found = data(await asked)
    finally:
        await http.put(faults, json={"latency_ms": 0})
    assert (found["account_number"], found["account_name"]) == ("0000000005", "NGOZI NWOSU")
