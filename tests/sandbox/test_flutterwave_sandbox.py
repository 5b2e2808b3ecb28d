"""The Flutterwave sandbox over real HTTP, driven through our adapter (``FlutterwaveGateway``,
``FlutterwaveClient``): hosted pay / decline / cancel and verify, major units without floats,
``charge.completed`` webhooks with ``verif-hash`` and ``flutterwave-signature`` retried until
a 2xx, refunds (at most one per refund key, found with ``GET /v3/refunds``), merchant
isolation, the list endpoints and the fault switch."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from kro.kit.clock import clock
from kro.kit.ids import new_id
from kro.providers.base import ChargeRequest, ChargeStatus, Credentials, RefundStatus
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.flutterwave import TRANSACTION_NOT_FOUND, FlutterwaveClient, FlutterwaveGateway
from kro.sandbox.flutterwave import sign
from tests.sandbox.flutterwave_fixtures import (
    ACCOUNT_ID,
    OTHER,
    PAGE_SIZE,
    SECRET_HASH,
    SECRET_KEY,
    FlutterwaveServer,
    flutterwave,
    flw_receiver,
)
from tests.sandbox.paystack_fixtures import eventually
from tests.sandbox.providus_fixtures import Received, Receiver

__all__ = ["flutterwave", "flw_receiver"]  # pytest fixtures used below


def _request(amount: int = 123_456, currency: str = "NGN", **extra: Any) -> ChargeRequest:
    return ChargeRequest(
        reference=new_id("pay"), amount=amount, currency=currency, email="ada@example.com",
        name="Ada Obi", **extra,
    )  # fmt: skip


async def _open(
    flutterwave: FlutterwaveServer, amount: int = 123_456, **extra: Any
) -> tuple[str, str]:
    """A hosted payment of ``amount`` minor units; its reference and link."""
    request = _request(amount, **extra)
    async with flutterwave.gateway() as gateway:
        charge = await gateway.create_charge(request)
    assert charge.status is ChargeStatus.PENDING and charge.provider_id is None
    assert charge.redirect_url
    return request.reference, charge.redirect_url


def _hooks_for(receiver: Receiver, tx_ref: str) -> list[Received]:
    return [r for r in list(receiver.requests) if r.payload["data"]["tx_ref"] == tx_ref]


async def test_hosted_pay_then_verify_and_a_signed_webhook(
    flutterwave: FlutterwaveServer, flw_receiver: Receiver
) -> None:
    reference, link = await _open(flutterwave, 123_456)  # ₦1,234.56
    assert link.startswith(f"{flutterwave.url}/hosted/pay/")
    async with httpx.AsyncClient(timeout=10) as http:
        page = await http.get(link)
        assert page.status_code == 200 and "NGN 1,234.56" in page.text
        async with flutterwave.gateway() as gateway:
            pending = await gateway.get_charge(reference, None)
            assert pending.status is ChargeStatus.PENDING and pending.amount == 123_456
            paid = (await http.post(f"{link}/pay")).json()
            assert paid["status"] == "success" and paid["data"]["status"] == "successful"
            charge = await gateway.get_charge(reference, None)
            by_id = await gateway.get_charge(reference, charge.provider_id)
    assert charge.status is ChargeStatus.SUCCEEDED and charge == by_id
    assert charge.provider_id == str(paid["data"]["id"])
    assert (charge.amount, charge.amount_captured, charge.fee) == (123_456, 123_456, 1_728)

    [hook] = await eventually(lambda: _hooks_for(flw_receiver, reference))
    assert hook.headers["verif-hash"] == SECRET_HASH
    assert hook.headers["flutterwave-signature"] == sign(hook.body, SECRET_HASH)
    async with flutterwave.gateway() as gateway:
        assert gateway.verify_webhook(hook.body, hook.headers, datetime.now(UTC))
    hint = FlutterwaveGateway.parse_webhook(hook.body)  # no credentials needed
    assert hint.kind == "charge" and hint.reference == reference
    assert hint.provider_id == charge.provider_id
    assert hint.event_key == f"charge.completed:{charge.provider_id}:successful"
    payload = json.loads(hook.body, parse_float=Decimal)
    assert payload["event"] == "charge.completed"
    assert payload["data"]["amount"] == Decimal("1234.56")
    assert payload["data"]["app_fee"] == Decimal("17.28")


async def test_decline_fails_the_charge_and_the_browser_is_redirected(
    flutterwave: FlutterwaveServer, flw_receiver: Receiver
) -> None:
    back = "https://shop.example/done"
    reference, link = await _open(flutterwave, return_url=back)
    async with httpx.AsyncClient(timeout=10) as http:
        cancelled = await http.post(f"{link}/cancel", headers={"accept": "text/html"})
        declined = await http.post(f"{link}/decline", headers={"accept": "text/html"})
        again = await http.post(f"{link}/pay")  # a failed transaction is final
    assert cancelled.status_code == 303
    assert parse_qs(urlsplit(cancelled.headers["location"]).query) == {
        "status": ["cancelled"], "tx_ref": [reference]
    }  # fmt: skip
    assert declined.status_code == 303 and declined.headers["location"].startswith(back + "?")
    query = parse_qs(urlsplit(declined.headers["location"]).query)
    assert query["status"] == ["failed"] and query["tx_ref"] == [reference]
    assert again.json()["data"]["status"] == "failed"
    async with flutterwave.gateway() as gateway:
        charge = await gateway.get_charge(reference, query["transaction_id"][0])
    assert charge.status is ChargeStatus.FAILED and charge.failure_reason
    [hook] = await eventually(lambda: _hooks_for(flw_receiver, reference))
    assert hook.payload["data"]["status"] == "failed"


async def test_webhook_is_retried_after_a_non_2xx_and_can_be_resent(
    flutterwave: FlutterwaveServer, flw_receiver: Receiver
) -> None:
    flw_receiver.replies = [(500, {"error": "down"})]
    reference, _ = await _open(flutterwave)
    paid = await flutterwave.act(reference)

    async def delivered() -> list[dict[str, Any]]:
        return await flutterwave.webhooks(tx_ref=reference, status="delivered")

    [delivery] = await eventually(delivered)
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]
    first, second = _hooks_for(flw_receiver, reference)
    assert first.body == second.body
    async with flutterwave.control() as http:
        r = await http.post(
            f"/v3/transactions/{paid['id']}/resend-hook",
            headers={"authorization": f"Bearer {SECRET_KEY}"},
        )
    assert r.json() == {"status": "success", "message": "hook sent successfully", "data": None}
    await eventually(lambda: len(_hooks_for(flw_receiver, reference)) == 3)


async def test_duplicate_tx_ref_and_bad_amounts_are_rejected(
    flutterwave: FlutterwaveServer,
) -> None:
    reference, _ = await _open(flutterwave)
    async with flutterwave.client() as client:
        with pytest.raises(ProviderRejected) as duplicate:
            await client.initiate_payment(
                tx_ref=reference, amount=100, currency="NGN", customer_email="a@example.com"
            )
    assert duplicate.value.provider_status == 400 and "tx_ref" in str(duplicate.value)
    async with flutterwave.control() as http:
        r = await http.post(
            "/v3/payments",
            content=b'{"tx_ref":"x-1","amount":10.001,"currency":"NGN",'
            b'"customer":{"email":"a@example.com"}}',
            headers={"authorization": f"Bearer {SECRET_KEY}", "content-type": "application/json"},
        )
    assert r.status_code == 400 and r.json()["status"] == "error"


async def test_major_units_on_the_wire_minor_units_here_no_floats(
    flutterwave: FlutterwaveServer,
) -> None:
    reference, _ = await _open(flutterwave, 123_456)
    usd, _ = await _open(flutterwave, 50, currency="USD")  # $0.50
    await flutterwave.act(reference)
    async with flutterwave.control() as http:
        raw = await http.get(
            "/v3/transactions/verify_by_reference",
            params={"tx_ref": reference},
            headers={"authorization": f"Bearer {SECRET_KEY}"},
        )
    assert '"amount":1234.56' in raw.text and '"amount_settled":1217.28' in raw.text
    data = json.loads(raw.content, parse_float=Decimal)["data"]
    assert data["amount"] == Decimal("1234.56") and data["charged_amount"] == Decimal("1234.56")
    async with flutterwave.gateway() as gateway:
        dollars = await gateway.get_charge(usd, None)
    assert (dollars.amount, dollars.currency) == (50, "USD")


async def test_partial_and_full_refunds_never_beyond_the_charge(
    flutterwave: FlutterwaveServer,
) -> None:
    reference, _ = await _open(flutterwave, 500_000)
    async with flutterwave.gateway() as gateway:
        with pytest.raises(ProviderRejected):  # nothing paid yet
            await gateway.refund(reference, None, 100, "NGN", new_id("rfd"))
        paid = await flutterwave.act(reference)
        part = await gateway.refund(reference, None, 200_000, "NGN", new_id("rfd"))
        assert (part.status, part.amount, part.currency) == (RefundStatus.PENDING, 200_000, "NGN")
        with pytest.raises(ProviderRejected) as over:
            await gateway.refund(reference, str(paid["id"]), 300_001, "NGN", new_id("rfd"))
        assert over.value.provider_status == 400
        rest = await gateway.refund(reference, str(paid["id"]), 300_000, "NGN", new_id("rfd"))
        assert rest.amount == 300_000
        with pytest.raises(ProviderRejected):
            await gateway.refund(reference, str(paid["id"]), 1, "NGN", new_id("rfd"))

        async def completed() -> bool:
            got = await gateway.get_refund(part.provider_refund_id)
            return got.status is RefundStatus.SUCCEEDED and got.amount == 200_000

        await eventually(completed)
    async with flutterwave.control() as http:
        r = await http.get(
            f"/v3/refunds/{rest.provider_refund_id}",
            headers={"authorization": f"Bearer {SECRET_KEY}"},
        )
    refund = r.json()["data"]
    assert refund["tx_id"] == paid["id"] and refund["flw_ref"].startswith("URF_")
    assert refund["amount_refunded"] == 3000 and refund["destination"] == "payment_source"


async def _refunds(flutterwave: FlutterwaveServer, key: str = SECRET_KEY, **query: Any) -> Any:
    """``GET /v3/refunds`` over raw HTTP: the whole answer."""
    async with flutterwave.control() as http:
        r = await http.get("/v3/refunds", params=query, headers={"authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_refund_retried_with_its_key_is_made_once(flutterwave: FlutterwaveServer) -> None:
    reference, _ = await _open(flutterwave, 500_000)
    paid = await flutterwave.act(reference)
    key = new_id("rfd")
    # The first attempt is carried out but its answer is lost (the job sees a timeout).
    await flutterwave.faults(timeout_rate=1.0, timeout_seconds=1.0)
    async with FlutterwaveClient(flutterwave.url, SECRET_KEY, timeout=0.3) as client:
        with pytest.raises(ProviderTimeout):
            await client.refund(paid["id"], 200_000, "NGN", comments=key)
    await flutterwave.faults()  # all clear
    async with flutterwave.gateway() as gateway:
        retried = await gateway.refund(reference, str(paid["id"]), 200_000, "NGN", key)
        again = await gateway.refund(reference, None, 200_000, "NGN", key)
        other = await gateway.refund(reference, None, 100_000, "NGN", new_id("rfd"))
    assert retried.provider_refund_id == again.provider_refund_id != other.provider_refund_id
    assert (retried.amount, retried.currency) == (200_000, "NGN")
    listed = await _refunds(flutterwave, id=str(paid["id"]))
    assert listed["meta"]["page_info"]["total"] == 2  # the retries made nothing
    assert [r["id"] for r in listed["data"] if r["comments"] == key] == [
        int(retried.provider_refund_id)
    ]
    async with flutterwave.client() as client:
        mine = await client.list_refunds(paid["id"])
    assert sorted(r.amount_refunded for r in mine) == [100_000, 200_000]
    assert {r.currency for r in mine} == {"NGN"} and {r.tx_id for r in mine} == {paid["id"]}


async def test_refund_list_filters_and_pages(flutterwave: FlutterwaveServer) -> None:
    first_ref, _ = await _open(flutterwave, 900_000)
    second_ref, _ = await _open(flutterwave, 900_000)
    first = await flutterwave.act(first_ref)
    second = await flutterwave.act(second_ref)
    async with flutterwave.gateway() as gateway:
        made = [
            await gateway.refund(first_ref, None, 10_000 * (n + 1), "NGN", new_id("rfd"))
            for n in range(PAGE_SIZE + 1)
        ]
        theirs = await gateway.refund(second_ref, None, 50_000, "NGN", new_id("rfd"))
    everything = await _refunds(flutterwave)
    assert everything["message"] == "Refunds fetched"
    assert everything["meta"]["page_info"] == {
        "total": PAGE_SIZE + 2, "current_page": 1, "total_pages": 2, "page_size": PAGE_SIZE,
    }  # fmt: skip
    one = everything["data"][0]  # newest first
    assert one["id"] == int(theirs.provider_refund_id) and one["tx_id"] == second["id"]
    assert (one["transaction_id"], one["comment"]) == (one["tx_id"], one["comments"])
    assert one["amount_refunded"] == 500
    by_id = await _refunds(flutterwave, id=str(first["id"]), page="2")
    assert by_id["meta"]["page_info"]["total"] == PAGE_SIZE + 1 and len(by_id["data"]) == 1
    by_tx_id = await _refunds(flutterwave, tx_id=str(second["id"]))
    assert [r["id"] for r in by_tx_id["data"]] == [int(theirs.provider_refund_id)]
    assert (await _refunds(flutterwave, id=str(first["id"]), tx_id=str(second["id"])))["data"] == []
    by_flw_ref = await _refunds(flutterwave, flw_ref=one["flw_ref"])
    assert [r["id"] for r in by_flw_ref["data"]] == [one["id"]]
    today = clock.now().date()
    assert (await _refunds(flutterwave, **{"from": str(today), "to": str(today)}))["meta"][
        "page_info"
    ]["total"] == PAGE_SIZE + 2
    assert (await _refunds(flutterwave, to="2001-01-01"))["data"] == []
    assert (await _refunds(flutterwave, currency="ngn"))["meta"]["page_info"]["total"] == 5
    assert (await _refunds(flutterwave, currency="USD"))["data"] == []

    async def all_completed() -> bool:  # pending for ``refund_delay``, then completed
        done = await _refunds(flutterwave, status="completed")
        return bool(done["meta"]["page_info"]["total"] == 5)

    await eventually(all_completed)
    assert (await _refunds(flutterwave, status="pending"))["data"] == []
    assert (await _refunds(flutterwave, OTHER.secret_key))["data"] == []  # merchant's own
    async with flutterwave.control() as http:
        auth = {"authorization": f"Bearer {SECRET_KEY}"}
        for bad in ({"id": "abc"}, {"page": "0"}, {"from": "yesterday"}):
            r = await http.get("/v3/refunds", params=bad, headers=auth)
            assert r.status_code == 400 and r.json()["status"] == "error", bad
    async with flutterwave.client() as client:
        listed = await client.list_refunds(first["id"])  # every page, currency by verify
    assert sorted(r.id for r in listed) == sorted(int(m.provider_refund_id) for m in made)
    assert {r.currency for r in listed} == {"NGN"}


async def test_each_merchant_sees_only_its_own(flutterwave: FlutterwaveServer) -> None:
    reference, _ = await _open(flutterwave)
    paid = await flutterwave.act(reference)
    other = flutterwave.gateway(Credentials(OTHER.secret_key, OTHER.secret_hash))
    async with other:
        for call in (
            other.get_charge(reference, None),
            other.get_charge(reference, str(paid["id"])),
            other.refund(reference, str(paid["id"]), 100, "NGN", new_id("rfd")),
        ):
            with pytest.raises(ProviderRejected) as hidden:
                await call
            assert hidden.value.provider_status == 404
        today = clock.now()
        assert await other.list_charges(today - timedelta(days=1), today + timedelta(days=1)) == []
    async with flutterwave.client() as client:
        with pytest.raises(ProviderRejected) as unknown:
            await client.verify(987_654_321)
    assert unknown.value.provider_code == TRANSACTION_NOT_FOUND
    assert str(unknown.value) == "No transaction was found for this id"


async def test_list_filters_by_day_and_pages(flutterwave: FlutterwaveServer) -> None:
    today = [(await _open(flutterwave, 1_000 + n))[0] for n in range(PAGE_SIZE + 2)]
    clock.advance(timedelta(days=3))
    try:
        later, _ = await _open(flutterwave, 999)
    finally:
        clock.reset()
    now = clock.now()
    async with flutterwave.client() as client:
        first = await client.list_transactions(now.date(), now.date(), page=1)
        second = await client.list_transactions(now.date(), now.date(), page=2)
        none = await client.list_transactions(date(2001, 1, 1), date(2001, 1, 2))
    assert (first.total, first.total_pages, first.current_page) == (len(today), 2, 1)
    assert len(first.transactions) == PAGE_SIZE and len(second.transactions) == 2
    assert {t.tx_ref for t in first.transactions + second.transactions} == set(today)
    assert none.total == 0 and none.transactions == []
    async with flutterwave.gateway() as gateway:
        window = await gateway.list_charges(now - timedelta(hours=1), now + timedelta(hours=1))
        everything = await gateway.list_charges(now - timedelta(days=1), now + timedelta(days=5))
    assert sorted(c.reference for c in window) == sorted(today)
    assert later in {c.reference for c in everything} and len(everything) == len(today) + 1


async def test_auth_errors_are_flutterwaves(flutterwave: FlutterwaveServer) -> None:
    async with flutterwave.control() as http:
        none = await http.get("/v3/transactions")
        wrong = await http.get("/v3/transactions", headers={"authorization": "Bearer FLWSECK-no"})
        ok = await http.get("/v3/transactions", headers={"authorization": f"Bearer {SECRET_KEY}"})
    expected = {"status": "error", "message": "Invalid authorization key", "data": None}
    assert (none.status_code, none.json()) == (401, expected)
    assert (wrong.status_code, wrong.json()) == (401, expected)
    assert ok.status_code == 200 and ok.json()["meta"]["page_info"]["total"] == 0


async def test_down_is_unavailable_and_a_held_answer_is_a_timeout(
    flutterwave: FlutterwaveServer,
) -> None:
    await flutterwave.faults(down=True)
    async with flutterwave.gateway() as gateway:
        with pytest.raises(ProviderUnavailable):
            await gateway.create_charge(_request())
    await flutterwave.faults(timeout_rate=1.0, timeout_seconds=1.0)
    request = _request()
    async with flutterwave.gateway(timeout=0.3) as gateway:
        with pytest.raises(ProviderTimeout):
            await gateway.create_charge(request)
    await flutterwave.faults()  # all clear
    async with flutterwave.gateway() as gateway:
        charge = await gateway.get_charge(request.reference, None)
    assert charge.status is ChargeStatus.PENDING  # it was created all the same
    async with flutterwave.control() as http:
        shown = (await http.get(f"/_sandbox/transactions/{request.reference}")).json()["data"]
    assert shown["account_id"] == ACCOUNT_ID
