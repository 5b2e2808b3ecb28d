"""The Fincra sandbox over real HTTP, driven through our adapter (``FincraClient``): checkout
links in major units, the hosted page, verify by merchant reference, Fincra's auth errors, and
``charge.successful`` webhooks signed with the webhook secret and retried until a 2xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kro.kit.ids import new_id
from kro.providers.errors import ProviderRejected
from kro.providers.fincra import PAYMENT_NOT_FOUND, verify_signature
from kro.sandbox.fincra import sign
from tests.sandbox.fincra_fixtures import (
    BUSINESS_ID,
    OTHER,
    PUBLIC_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    FincraServer,
    run_sandbox,
)
from tests.sandbox.paystack_fixtures import eventually
from tests.sandbox.providus_fixtures import Receiver, run_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with run_receiver() as r:
        yield r


@pytest.fixture
def fincra(tmp_path: Path, receiver: Receiver) -> Iterator[FincraServer]:
    with run_sandbox(tmp_path / "fincra.db", receiver.url) as server:
        yield server


async def _checkout(fincra: FincraServer, amount: int = 1_015_150, **extra: Any) -> tuple[str, Any]:
    reference = new_id("ref")
    async with fincra.client() as client:
        link = await client.initiate_checkout(
            amount=amount, currency="NGN", reference=reference, customer_name="Ada Obi",
            customer_email="ada@example.com", **extra,
        )  # fmt: skip
    return reference, link


def _received_for(receiver: Receiver, reference: str) -> list[Any]:
    return [
        r for r in list(receiver.requests) if r.payload["data"]["merchantReference"] == reference
    ]


async def test_checkout_sends_major_units_and_answers_a_link(fincra: FincraServer) -> None:
    reference, link = await _checkout(fincra, amount=1_015_150)  # ₦10,151.50
    assert link.merchant_reference == reference and link.reference != reference
    assert link.link == f"{fincra.url}/pay/{link.reference}"
    async with fincra.control() as http:
        shown = (await http.get(f"/_sandbox/checkouts/{reference}")).json()["data"]
        page = await http.get(f"/pay/{link.reference}")
    assert shown["amount"] == 10151.5 and shown["status"] == "pending"
    assert page.status_code == 200 and "NGN 10,151.50" in page.text
    async with fincra.client() as client:
        pending = await client.verify_payment(reference)
    assert pending.status == "pending" and pending.amount == 1_015_150
    assert pending.amount_received is None


async def test_pay_then_verify_and_signed_webhook(fincra: FincraServer, receiver: Receiver) -> None:
    reference, link = await _checkout(fincra, amount=1_000_000)
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(f"{link.link}/pay")
    assert r.status_code == 200 and r.json()["data"]["status"] == "success"
    async with fincra.client() as client:
        paid = await client.verify_payment(reference)
    assert paid.succeeded and paid.received == 1_000_000 and paid.currency == "NGN"
    assert paid.fee == 15_050  # 1.4 % = ₦140 + 7.5 % VAT on it = ₦10.50
    assert paid.amount_to_settle == 1_000_000 - 15_050
    assert paid.business_id == BUSINESS_ID and paid.charge_reference

    [hook] = await eventually(lambda: _received_for(receiver, reference))
    assert hook.payload["event"] == "charge.successful"
    assert hook.headers["signature"] == sign(hook.body, WEBHOOK_SECRET)
    assert verify_signature(hook.body, hook.headers["signature"], WEBHOOK_SECRET)
    compact = json.dumps(json.loads(hook.body), separators=(",", ":"), ensure_ascii=False)
    assert hook.body.decode() == compact  # Fincra signs JSON.stringify(payload)
    assert hook.payload["data"]["amount"] == 10000 and hook.payload["data"]["status"] == "success"


async def test_decline_sends_no_webhook_and_a_later_payment_succeeds(
    fincra: FincraServer, receiver: Receiver
) -> None:
    reference, link = await _checkout(fincra)
    async with httpx.AsyncClient(timeout=10) as http:
        declined = await http.post(f"{link.link}/decline")
        assert declined.json()["data"]["status"] == "failed"
        async with fincra.client() as client:
            assert (await client.verify_payment(reference)).status == "failed"
        assert await fincra.webhooks(reference=link.reference) == []
        html = await http.post(f"{link.link}/pay", headers={"accept": "text/html"})
    assert html.status_code == 200 and "Payment successful" in html.text
    await eventually(lambda: _received_for(receiver, reference))


async def test_browser_is_redirected_with_the_merchant_reference(fincra: FincraServer) -> None:
    reference, link = await _checkout(fincra, redirect_url="https://shop.example/done")
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(f"{link.link}/pay", headers={"accept": "text/html"})
    assert r.status_code == 303
    assert r.headers["location"] == f"https://shop.example/done?reference={reference}"


async def test_webhook_is_retried_until_2xx_and_can_be_resent(
    fincra: FincraServer, receiver: Receiver
) -> None:
    receiver.replies = [(500, {"error": "down"})]
    reference, link = await _checkout(fincra)
    await fincra.pay(reference)

    async def delivered() -> list[dict[str, Any]]:
        return await fincra.webhooks(reference=link.reference, status="delivered")

    [delivery] = await eventually(delivered)
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]
    first, second = _received_for(receiver, reference)
    assert first.body == second.body
    async with fincra.control() as http:
        r = await http.post(f"/_sandbox/webhooks/{delivery['id']}/resend")
    assert r.status_code == 200
    await eventually(lambda: len(_received_for(receiver, reference)) == 3)
    assert _received_for(receiver, reference)[-1].body == first.body


async def test_fractional_amounts_round_trip_without_floats(fincra: FincraServer) -> None:
    reference, _ = await _checkout(fincra, amount=10_151)  # ₦101.51
    await fincra.pay(reference, amount=10_150, method="bank_transfer")
    async with fincra.client() as client:
        paid = await client.verify_payment(reference)
    assert (paid.amount, paid.amount_received) == (10_151, 10_150)
    assert paid.variance_type == "underpayment" and paid.type == "bank_transfer"


async def test_auth_errors_are_fincras(fincra: FincraServer) -> None:
    body = {"amount": 100, "currency": "NGN", "customer": {"name": "A", "email": "a@b.co"}}
    async with fincra.control() as http:
        none = await http.post("/checkout/payments", json=body)
        wrong = await http.post("/checkout/payments", json=body, headers={"api-key": "sk_nope"})
        no_pub = await http.post("/checkout/payments", json=body, headers={"api-key": SECRET_KEY})
        no_business = await http.get(
            "/checkout/payments/merchant-reference/x", headers={"api-key": SECRET_KEY}
        )
        ok = await http.post(
            "/checkout/payments",
            json=body,
            headers={"api-key": SECRET_KEY, "x-pub-key": PUBLIC_KEY},
        )
    assert (none.status_code, none.json()) == (401, {"message": "No API key found in request"})
    assert (wrong.status_code, wrong.json()) == (
        401, {"message": "Invalid authentication credentials"}
    )  # fmt: skip
    assert no_pub.status_code == 401
    assert no_business.status_code == 401
    assert no_business.json() == {
        "message": "x-business-id must be provided in the header",
        "error": "Unauthorized",
        "statusCode": 401,
    }
    assert ok.status_code == 200 and ok.json()["message"] == "Payment transaction initiated"


async def test_verify_is_scoped_to_the_business(fincra: FincraServer) -> None:
    reference, _ = await _checkout(fincra)
    async with fincra.control() as http:
        r = await http.get(
            f"/checkout/payments/merchant-reference/{reference}",
            headers={"api-key": OTHER.secret_key, "x-business-id": OTHER.business_id},
        )
    assert r.status_code == 404
    async with fincra.client() as client:
        with pytest.raises(ProviderRejected) as unknown:
            await client.verify_payment("no-such-reference")
    assert unknown.value.provider_code == PAYMENT_NOT_FOUND


async def test_duplicate_reference_and_bad_input_are_rejected(fincra: FincraServer) -> None:
    reference, _ = await _checkout(fincra)
    async with fincra.client() as client:
        with pytest.raises(ProviderRejected) as duplicate:
            await client.initiate_checkout(
                amount=100, currency="NGN", reference=reference, customer_name="A",
                customer_email="a@example.com",
            )  # fmt: skip
        with pytest.raises(ProviderRejected) as currency:
            await client.initiate_checkout(
                amount=100, currency="EUR", reference=new_id("ref"), customer_name="A",
                customer_email="a@example.com",
            )  # fmt: skip
    assert duplicate.value.provider_status == 409
    assert currency.value.provider_status == 400
