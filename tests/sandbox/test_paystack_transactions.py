"""Transactions on the Paystack sandbox: initialize, checkout, verify, refund — over real HTTP."""

from __future__ import annotations

import re

import httpx
import pytest

from kro.providers.errors import ProviderRejected
from kro.providers.paystack import PaystackClient
from kro.sandbox.paystack.fees import transaction_fee, transfer_fee
from tests.sandbox.paystack_fixtures import (
    OTHER_KEY,
    SandboxServer,
    eventually,
    pay,
    tx_ref,
)

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
FEES = {"percent_bps": 150, "flat": 10_000, "flat_waived_below": 250_000, "cap": 200_000}


@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        (100_000, 1_500),  # ₦1,000: 1.5 %, the ₦100 waived under ₦2,500
        (249_999, 3_750),  # just under the threshold, rounded half up
        (250_000, 13_750),  # ₦2,500: 1.5 % + ₦100
        (10_000_000, 160_000),
        (20_000_000, 200_000),  # capped at ₦2,000
    ],
)
def test_transaction_fee_rule(amount: int, fee: int) -> None:
    assert transaction_fee(amount, **FEES) == fee


def test_transfer_fee_tiers() -> None:
    tiers = ((500_000, 1_000), (5_000_000, 2_500), (None, 5_000))
    assert [transfer_fee(a, tiers) for a in (500_000, 500_001, 5_000_001)] == [1_000, 2_500, 5_000]


async def test_initialize_pay_verify(sandbox: SandboxServer, paystack: PaystackClient) -> None:
    ref = tx_ref()
    init = await paystack.initialize_transaction(
        "buyer@example.com", 500_000, "NGN", ref, callback_url="https://shop.test/done",
        metadata={"order_id": "ord_1"},
    )  # fmt: skip
    assert init.reference == ref
    assert init.authorization_url == f"{sandbox.config.public_base_url}/checkout/{init.access_code}"

    before = await paystack.verify_transaction(ref)
    assert (before.status, before.paid_at, before.fees) == ("abandoned", None, None)

    answer = await pay(sandbox, init.authorization_url)
    assert answer["data"] == {
        "reference": ref,
        "status": "success",
        "redirect_url": f"https://shop.test/done?trxref={ref}&reference={ref}",
    }
    tx = await paystack.verify_transaction(ref)
    assert tx.succeeded and tx.amount == 500_000 and tx.currency == "NGN"
    assert tx.fees == 17_500  # 1.5 % of ₦5,000 + ₦100
    assert tx.paid_at is not None and tx.customer and tx.customer.email == "buyer@example.com"
    assert tx.authorization and tx.authorization.authorization_code
    assert tx.metadata == {"order_id": "ord_1"}


async def test_verify_answer_is_paystack_shaped(
    sandbox: SandboxServer, http: httpx.AsyncClient
) -> None:
    ref = tx_ref()
    init = (
        await http.post(
            "/transaction/initialize",
            json={"email": "a@b.co", "amount": "250000", "reference": ref},
        )
    ).json()
    assert init["status"] is True and init["message"] == "Authorization URL created"
    await pay(sandbox, init["data"]["authorization_url"])
    body = (await http.get(f"/transaction/verify/{ref}")).json()
    assert body["message"] == "Verification successful"
    data = body["data"]
    assert data["domain"] == "test" and data["amount"] == 250_000 and data["fees"] == 13_750
    assert data["gateway_response"] == "Successful" and data["channel"] == "card"
    for key in ("paid_at", "paidAt", "created_at", "createdAt"):
        assert ISO_MS_Z.match(data[key]), key
    assert data["log"]["success"] is True and data["log"]["history"]
    assert data["customer"]["customer_code"].startswith("CUS_")
    assert data["authorization"]["authorization_code"].startswith("AUTH_")


async def test_paying_twice_is_a_no_op(sandbox: SandboxServer, paystack: PaystackClient) -> None:
    ref = tx_ref()
    init = await paystack.initialize_transaction("twice@example.com", 300_000, "NGN", ref)
    await pay(sandbox, init.authorization_url)
    first = await paystack.verify_transaction(ref)
    again = await pay(sandbox, init.authorization_url)
    declined = await pay(sandbox, init.authorization_url, "decline")
    assert again["data"]["status"] == declined["data"]["status"] == "success"
    assert (await paystack.verify_transaction(ref)).paid_at == first.paid_at
    await eventually(lambda: sandbox.receiver.for_reference(ref, "charge.success"))
    assert len(sandbox.receiver.for_reference(ref, "charge.success")) == 1


async def test_decline_fails_the_transaction(
    sandbox: SandboxServer, paystack: PaystackClient
) -> None:
    ref = tx_ref()
    init = await paystack.initialize_transaction("no@example.com", 100_000, "NGN", ref)
    answer = await pay(sandbox, init.authorization_url, "decline")
    assert answer["data"]["status"] == "failed"
    tx = await paystack.verify_transaction(ref)
    assert (tx.status, tx.gateway_response, tx.paid_at) == ("failed", "Declined", None)


async def test_checkout_page_and_browser_redirect(
    sandbox: SandboxServer, paystack: PaystackClient
) -> None:
    ref = tx_ref()
    init = await paystack.initialize_transaction(
        "page@example.com", 1_234_550, "NGN", ref, callback_url="https://shop.test/cb?x=1"
    )
    async with httpx.AsyncClient() as browser:
        page = await browser.get(init.authorization_url)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "NGN 12,345.50" in page.text and "page@example.com" in page.text
        assert f'action="{init.authorization_url}/pay"' in page.text
        submitted = await browser.post(
            f"{init.authorization_url}/pay", data={}, headers={"accept": "text/html"}
        )
        assert submitted.status_code == 303
        assert (
            submitted.headers["location"]
            == f"https://shop.test/cb?x=1&trxref={ref}&reference={ref}"
        )
        missing = await browser.get(f"{sandbox.url}/checkout/nope")
        assert missing.status_code == 404
        missing_pay = await browser.post(f"{sandbox.url}/checkout/nope/pay")
        assert missing_pay.status_code == 404 and missing_pay.json()["status"] is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"amount": 5000}, "Email is required"),
        ({"email": "x@y.co"}, "Amount is required"),
        ({"email": "not-an-email", "amount": 5000}, "Invalid Email Address Passed"),
        ({"email": "x@y.co", "amount": "50.5"}, "Invalid Amount Sent"),
        ({"email": "x@y.co", "amount": -1}, "Invalid Amount Sent"),
        (
            {"email": "x@y.co", "amount": 5000, "currency": "JPY"},
            "Currency not supported by merchant",
        ),
        (
            {"email": "x@y.co", "amount": 5000, "reference": "bad ref!"},
            "Invalid transaction reference",
        ),
    ],
)
async def test_initialize_validation(
    http: httpx.AsyncClient, body: dict[str, object], message: str
) -> None:
    response = await http.post("/transaction/initialize", json=body)
    assert response.status_code == 400
    got = response.json()
    assert got["status"] is False and got["message"].startswith(message)
    assert got["type"] == "validation_error" and "nextStep" in got["meta"] and got["code"]


async def test_duplicate_reference_and_unknown_reference(paystack: PaystackClient) -> None:
    ref = tx_ref()
    await paystack.initialize_transaction("dup@example.com", 5_000, "NGN", ref)
    with pytest.raises(ProviderRejected) as dup:
        await paystack.initialize_transaction("dup@example.com", 5_000, "NGN", ref)
    assert (
        dup.value.message == "Duplicate Transaction Reference" and dup.value.provider_status == 400
    )
    with pytest.raises(ProviderRejected) as missing:
        await paystack.verify_transaction("no-such-reference")
    assert missing.value.message == "Transaction reference not found"
    assert missing.value.provider_code == "transaction_not_found"


async def test_form_encoded_initialize(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/transaction/initialize", data={"email": "form@x.co", "amount": "7000"}
    )
    assert response.status_code == 200 and response.json()["data"]["access_code"]


async def test_integrations_are_isolated(sandbox: SandboxServer, paystack: PaystackClient) -> None:
    ref = tx_ref()
    await paystack.initialize_transaction("iso@example.com", 5_000, "NGN", ref)
    async with PaystackClient(sandbox.url, OTHER_KEY) as other:
        with pytest.raises(ProviderRejected):
            await other.verify_transaction(ref)
        # The same reference is free on another integration.
        assert (
            await other.initialize_transaction("iso@example.com", 5_000, "NGN", ref)
        ).reference == ref


@pytest.mark.parametrize("header", [None, "Bearer sk_test_wrong", "Basic abc", "Bearer"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/transaction/initialize"),
        ("GET", "/transaction/verify/x"),
        ("POST", "/refund"),
        ("GET", "/bank"),
        ("GET", "/bank/resolve?account_number=0000000001&bank_code=058"),
        ("POST", "/transferrecipient"),
        ("POST", "/transfer"),
        ("GET", "/transfer/verify/x"),
        ("GET", "/balance"),
    ],
)
async def test_every_endpoint_needs_the_secret_key(
    sandbox: SandboxServer, method: str, path: str, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        response = await client.request(method, path, headers=headers, json={})
    assert response.status_code == 401
    assert response.json() == {"status": False, "message": "Invalid key"}


async def test_refunds_partial_then_full(sandbox: SandboxServer, paystack: PaystackClient) -> None:
    ref = tx_ref()
    init = await paystack.initialize_transaction("refund@example.com", 400_000, "NGN", ref)
    with pytest.raises(ProviderRejected, match="not successful"):
        await paystack.refund(ref)
    await pay(sandbox, init.authorization_url)
    tx = await paystack.verify_transaction(ref)

    partial = await paystack.refund(ref, amount=150_000)
    assert (partial.status, partial.amount, partial.transaction.reference) == (
        "pending",
        150_000,
        ref,
    )
    with pytest.raises(ProviderRejected, match="unrefunded amount"):
        await paystack.refund(tx.id, amount=250_001)
    rest = await paystack.refund(tx.id)  # by id; the default is what is left
    assert rest.amount == 250_000

    processed = await eventually(
        lambda: len(sandbox.receiver.for_reference(ref, "refund.processed")) == 2
    )
    assert processed
    assert len(sandbox.receiver.for_reference(ref, "refund.pending")) == 2
    events = sandbox.receiver.for_reference(ref, "refund.processed")
    assert sorted(e.payload["data"]["amount"] for e in events) == [150_000, 250_000]
    assert (await paystack.verify_transaction(ref)).status == "reversed"
    with pytest.raises(ProviderRejected, match="fully reversed"):
        await paystack.refund(ref)
