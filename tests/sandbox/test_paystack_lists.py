"""Paystack's list and fetch endpoints on the sandbox (transactions, refunds), over real HTTP,
through the raw API and through :class:`PaystackClient`.

Tests in a module share one sandbox and run one after another, so a time window taken around
what a test creates holds exactly those rows.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

import kro.providers.paystack.client as client_module
from kro.providers.errors import ProviderRejected
from kro.providers.paystack import PaystackClient
from tests.sandbox.paystack_fixtures import OTHER_KEY, SandboxServer, eventually, pay, tx_ref


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _window_of_three(paystack: PaystackClient) -> tuple[datetime, datetime, list[str]]:
    """Three transactions created inside ``[start, end)``, with one before and one after."""
    await paystack.initialize_transaction("before@example.com", 1_000, "NGN", tx_ref())
    await asyncio.sleep(0.02)
    start = datetime.now(UTC)
    refs = []
    for amount in (2_000, 3_000, 4_000):
        ref = tx_ref()
        await paystack.initialize_transaction("inside@example.com", amount, "NGN", ref)
        refs.append(ref)
    await asyncio.sleep(0.02)
    end = datetime.now(UTC)
    await paystack.initialize_transaction("after@example.com", 5_000, "NGN", tx_ref())
    return start, end, refs


async def test_list_transactions_by_date_newest_first_with_paging(
    sandbox: SandboxServer, http: httpx.AsyncClient, paystack: PaystackClient
) -> None:
    start, end, refs = await _window_of_three(paystack)
    window = {"from": _iso(start), "to": _iso(end)}

    body = (await http.get("/transaction", params=window)).json()
    assert body["status"] is True and body["message"] == "Transactions retrieved"
    assert [t["reference"] for t in body["data"]] == refs[::-1]
    assert body["meta"] == {"total": 3, "skipped": 0, "perPage": 50, "page": 1, "pageCount": 1}
    first = body["data"][0]
    assert first["status"] == "abandoned" and first["amount"] == 4_000
    assert first["customer"]["email"] == "inside@example.com" and "createdAt" in first

    page2 = (await http.get("/transaction", params={**window, "perPage": 2, "page": 2})).json()
    assert [t["reference"] for t in page2["data"]] == [refs[0]]
    assert page2["meta"] == {"total": 3, "skipped": 2, "perPage": 2, "page": 2, "pageCount": 2}

    # A date-only "to" covers its whole day; a "to" of the day before covers none of them.
    today = start.date()
    whole_day: dict[str, str | int] = {"from": str(today), "to": str(today), "perPage": 100}
    listed = {
        t["reference"] for t in (await http.get("/transaction", params=whole_day)).json()["data"]
    }
    assert set(refs) <= listed
    yesterday = {"to": (today - timedelta(days=1)).isoformat()}
    assert (await http.get("/transaction", params=yesterday)).json()["data"] == []


async def test_list_transactions_by_status_and_the_client_reads_every_page(
    sandbox: SandboxServer,
    http: httpx.AsyncClient,
    paystack: PaystackClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = datetime.now(UTC)
    paid, declined = tx_ref(), tx_ref()
    for ref in (paid, declined, tx_ref()):
        init = await paystack.initialize_transaction("status@example.com", 9_000, "NGN", ref)
        if ref == paid:
            await pay(sandbox, init.authorization_url)
        elif ref == declined:
            await pay(sandbox, init.authorization_url, "decline")
    end = datetime.now(UTC) + timedelta(milliseconds=5)

    failed = (
        await http.get("/transaction", params={"status": "failed", "from": _iso(start)})
    ).json()
    assert [t["reference"] for t in failed["data"]] == [declined]

    monkeypatch.setattr(client_module, "PER_PAGE", 2)  # three rows → two pages
    listed = await paystack.list_transactions(start, end)
    assert len(listed) == 3 and all(start <= t.created_at < end for t in listed if t.created_at)
    assert [t.reference for t in await paystack.list_transactions(start, end, "success")] == [paid]
    assert (await paystack.list_transactions(end, end + timedelta(hours=1))) == []


async def test_fetch_transaction_by_id(
    sandbox: SandboxServer, http: httpx.AsyncClient, paystack: PaystackClient
) -> None:
    ref = tx_ref()
    init = await paystack.initialize_transaction("fetch@example.com", 250_000, "NGN", ref)
    await pay(sandbox, init.authorization_url)
    verified = await paystack.verify_transaction(ref)

    fetched = await paystack.fetch_transaction(verified.id)
    assert fetched == verified and fetched.fees == 13_750
    raw = (await http.get(f"/transaction/{verified.id}")).json()
    assert raw["message"] == "Transaction retrieved" and raw["data"]["reference"] == ref

    for missing in ("999999999", "not-a-number"):
        answer = await http.get(f"/transaction/{missing}")
        assert answer.status_code == 404
        assert answer.json()["message"] == "Transaction not found"
    async with PaystackClient(sandbox.url, OTHER_KEY) as other:
        with pytest.raises(ProviderRejected) as hidden:
            await other.fetch_transaction(verified.id)
    assert hidden.value.provider_status == 404


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01", "2024-01-01T25:00:00Z"])
async def test_bad_dates_are_refused(http: httpx.AsyncClient, bad: str) -> None:
    for path in ("/transaction", "/refund"):
        answer = await http.get(path, params={"from": bad})
        assert answer.status_code == 400 and answer.json()["message"] == "Invalid from date"


async def test_refund_notes_fetch_and_list(
    sandbox: SandboxServer, http: httpx.AsyncClient, paystack: PaystackClient
) -> None:
    ref = tx_ref()
    init = await paystack.initialize_transaction("notes@example.com", 600_000, "NGN", ref)
    await pay(sandbox, init.authorization_url)
    tx = await paystack.verify_transaction(ref)

    first = await paystack.refund(
        ref, 100_000, currency="NGN", merchant_note="rf_first", customer_note="Sorry"
    )
    assert (first.merchant_note, first.customer_note, first.status) == (
        "rf_first",
        "Sorry",
        "pending",
    )
    assert first.transaction_id == tx.id
    second = await paystack.refund(tx.id, 50_000)  # Paystack writes its own notes
    assert second.merchant_note and second.merchant_note.startswith(f"Refund for transaction {ref}")

    fetched = await paystack.fetch_refund(first.id)
    assert (fetched.id, fetched.amount, fetched.transaction, fetched.merchant_note) == (
        first.id, 100_000, tx.id, "rf_first",
    )  # fmt: skip
    raw = (await http.get(f"/refund/{first.id}")).json()
    assert raw["message"] == "Refund retrieved"
    assert raw["data"]["transaction"] == tx.id and raw["data"]["customer_note"] == "Sorry"

    by_reference = await paystack.list_refunds(ref)
    by_id = await paystack.list_refunds(tx.id)
    assert [r.id for r in by_reference] == [r.id for r in by_id] == [second.id, first.id]
    listed = (await http.get("/refund", params={"transaction": ref, "perPage": 1})).json()
    assert listed["message"] == "Refunds retrieved" and [r["id"] for r in listed["data"]] == [
        second.id
    ]
    assert listed["meta"] == {"total": 2, "skipped": 0, "perPage": 1, "page": 1, "pageCount": 2}
    assert (await http.get("/refund", params={"transaction": ref, "currency": "USD"})).json()[
        "data"
    ] == []
    assert (await http.get("/refund", params={"transaction": "no-such-tx"})).json()["data"] == []

    await eventually(
        lambda: len(sandbox.receiver.for_reference(ref, "refund.processed")) == 2, within=5
    )
    assert (await paystack.fetch_refund(first.id)).status == "processed"

    missing = await http.get("/refund/999999999")
    assert missing.status_code == 404 and missing.json()["message"] == "Refund not found"
    async with PaystackClient(sandbox.url, OTHER_KEY) as other:
        with pytest.raises(ProviderRejected):
            await other.fetch_refund(first.id)
        assert await other.list_refunds(ref) == []


async def test_lists_need_the_secret_key(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as anonymous:
        for path in ("/transaction", "/transaction/1", "/refund", "/refund/1"):
            answer = await anonymous.get(path)
            assert answer.status_code == 401 and answer.json()["message"] == "Invalid key"
