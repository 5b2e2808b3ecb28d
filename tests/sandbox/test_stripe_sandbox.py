"""The Stripe sandbox over real HTTP, driven by the official ``stripe`` SDK (async, httpx):
PaymentIntents through the hosted page, manual capture, declines, 3-D Secure, refunds,
``Idempotency-Key`` replay, list pagination, account isolation, Stripe's error shapes, and
events signed so that ``stripe.Webhook.construct_event`` accepts them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from tests.sandbox.paystack_fixtures import eventually
from tests.sandbox.providus_fixtures import Receiver, run_receiver
from tests.sandbox.stripe_fixtures import (
    OTHER,
    SECRET_KEY,
    WEBHOOK_SECRET,
    StripeServer,
    run_sandbox,
)

# stripe.HTTPXClient passes the form body as ``data=<str>``, which httpx deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with run_receiver() as r:
        yield r


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[StripeServer]:
    with run_sandbox(tmp_path_factory.mktemp("stripe") / "stripe.db", receiver.url) as server:
        yield server


async def _intent(
    client: stripe.StripeClient, amount: int = 2_000, **params: Any
) -> stripe.PaymentIntent:
    body: Any = {"amount": amount, "currency": "usd", "metadata": {"reference": "ref-1"}}
    return await client.v1.payment_intents.create_async(body | params)


async def test_hosted_page_pays_and_redirects_with_stripes_parameters(
    sandbox: StripeServer,
) -> None:
    client = sandbox.sdk()
    pi = await _intent(client, 10_000, receipt_email="ada@example.com")
    assert pi.status == "requires_payment_method" and str(pi.client_secret).startswith(f"{pi.id}_")
    assert pi.object == "payment_intent" and pi.livemode is False and pi.currency == "usd"
    async with sandbox.control() as http:
        page = await http.get(f"/pay/{pi.id}")
        done = await http.post(
            f"/pay/{pi.id}/pay",
            params={"return_url": "https://shop.example/back?x=1"},
            headers={"accept": "text/html"},
        )
    assert page.status_code == 200 and "100.00 USD" in page.text
    assert done.status_code == 303
    location = urlsplit(done.headers["location"])
    query = parse_qs(location.query)
    assert location.netloc == "shop.example" and query["x"] == ["1"]
    assert query["payment_intent"] == [pi.id] and query["redirect_status"] == ["succeeded"]
    paid = await client.v1.payment_intents.retrieve_async(
        pi.id, {"expand": ["latest_charge.balance_transaction"]}
    )
    assert paid.status == "succeeded" and paid.amount_received == 10_000
    charge = paid.latest_charge
    assert isinstance(charge, stripe.Charge) and charge.id.startswith("ch_") and charge.captured
    txn = charge.balance_transaction
    assert isinstance(txn, stripe.BalanceTransaction)
    assert (txn.amount, txn.fee, txn.net) == (10_000, 320, 9_680)  # 2.9 % + 30 ¢


async def test_manual_capture_authorizes_then_captures_part(sandbox: StripeServer) -> None:
    client = sandbox.sdk()
    pi = await _intent(client, 5_000, capture_method="manual", confirm=True,
                       payment_method="pm_card_visa")  # fmt: skip
    assert pi.status == "requires_capture" and pi.amount_capturable == 5_000
    assert pi.amount_received == 0 and isinstance(pi.latest_charge, str)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        await client.v1.payment_intents.capture_async(pi.id, {"amount_to_capture": 5_001})
    assert too_much.value.code == "amount_too_large" and too_much.value.http_status == 400
    captured = await client.v1.payment_intents.capture_async(pi.id, {"amount_to_capture": 3_000})
    assert captured.status == "succeeded" and captured.amount_received == 3_000
    assert captured.amount_capturable == 0
    with pytest.raises(stripe.InvalidRequestError) as again:
        await client.v1.payment_intents.capture_async(pi.id)
    assert again.value.code == "payment_intent_unexpected_state"


async def test_cancel_releases_an_authorization_once(sandbox: StripeServer) -> None:
    client = sandbox.sdk()
    pi = await _intent(client, capture_method="manual", confirm=True, payment_method="pm_card_visa")
    canceled = await client.v1.payment_intents.cancel_async(
        pi.id, {"cancellation_reason": "requested_by_customer"}
    )
    assert canceled.status == "canceled" and canceled.amount_capturable == 0
    assert canceled.cancellation_reason == "requested_by_customer" and canceled.canceled_at
    with pytest.raises(stripe.InvalidRequestError) as again:
        await client.v1.payment_intents.cancel_async(pi.id)
    assert again.value.code == "payment_intent_unexpected_state"


async def test_expired_authorization_is_canceled_automatically(sandbox: StripeServer) -> None:
    client = sandbox.sdk()
    pi = await _intent(client, capture_method="manual", confirm=True, payment_method="pm_card_visa")
    charge = await client.v1.charges.retrieve_async(str(pi.latest_charge))
    assert charge.payment_method_details is not None
    card = charge.payment_method_details.card
    assert card is not None and card.capture_before is not None
    assert 6.9 * 86_400 < card.capture_before - time.time() <= 7 * 86_400
    async with sandbox.control() as http:
        r = await http.post("/_sandbox/authorizations/expire", params={"payment_intent": pi.id})
    assert r.json()["data"]["expired"] == 1
    expired = await client.v1.payment_intents.retrieve_async(pi.id)
    assert expired.status == "canceled" and expired.cancellation_reason == "automatic"


async def test_declined_card_is_a_402_and_the_intent_can_be_retried(
    sandbox: StripeServer,
) -> None:
    client = sandbox.sdk()
    pi = await _intent(client)
    with pytest.raises(stripe.CardError) as declined:
        await client.v1.payment_intents.confirm_async(
            pi.id, {"payment_method": "pm_card_chargeDeclinedInsufficientFunds"}
        )
    assert declined.value.http_status == 402 and declined.value.code == "card_declined"
    assert declined.value.error is not None
    assert declined.value.error.decline_code == "insufficient_funds"
    failed = await client.v1.payment_intents.retrieve_async(pi.id)
    assert failed.status == "requires_payment_method" and failed.payment_method is None
    assert failed.last_payment_error is not None
    assert failed.last_payment_error.code == "card_declined"
    retried = await client.v1.payment_intents.confirm_async(
        pi.id, {"payment_method": "pm_card_visa"}
    )
    assert retried.status == "succeeded" and retried.last_payment_error is None


async def test_three_d_secure_requires_action_then_the_hosted_page(sandbox: StripeServer) -> None:
    client = sandbox.sdk()
    pi = await _intent(client, confirm=True, payment_method="pm_card_threeDSecure2Required",
                       return_url="https://shop.example/done")  # fmt: skip
    assert pi.status == "requires_action" and pi.next_action is not None
    redirect = pi.next_action.redirect_to_url
    assert pi.next_action.type == "redirect_to_url" and redirect is not None
    assert redirect.url == f"{sandbox.url}/pay/{pi.id}"
    assert redirect.return_url == "https://shop.example/done"
    body = await sandbox.page(pi.id, "pay")
    assert body["payment_intent"]["status"] == "succeeded"
    assert "redirect_status=succeeded" in body["redirect_url"]

    other = await _intent(client, confirm=True, payment_method="pm_card_threeDSecure2Required")
    failed = (await sandbox.page(other.id, "decline"))["payment_intent"]
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "payment_intent_authentication_failure"


async def test_refunds_partial_full_and_over_refund(sandbox: StripeServer) -> None:
    client = sandbox.sdk()
    pi = await _intent(client, 3_000, confirm=True, payment_method="pm_card_visa")
    first = await client.v1.refunds.create_async(
        {"payment_intent": pi.id, "amount": 1_000, "reason": "requested_by_customer",
         "metadata": {"reference": "ref-1"}}
    )  # fmt: skip
    assert first.id.startswith("re_") and first.status == "succeeded" and first.amount == 1_000
    assert first.payment_intent == pi.id and first.charge == pi.latest_charge
    with pytest.raises(stripe.InvalidRequestError) as over:
        await client.v1.refunds.create_async({"payment_intent": pi.id, "amount": 2_001})
    assert over.value.code == "amount_too_large" and over.value.param == "amount"
    rest = await client.v1.refunds.create_async({"charge": str(pi.latest_charge)})
    assert rest.amount == 2_000
    charge = await client.v1.charges.retrieve_async(str(pi.latest_charge))
    assert charge.amount_refunded == 3_000 and charge.refunded is True
    with pytest.raises(stripe.InvalidRequestError) as done:
        await client.v1.refunds.create_async({"payment_intent": pi.id})
    assert done.value.code == "charge_already_refunded"
    txn = await client.v1.balance_transactions.retrieve_async(str(rest.balance_transaction))
    assert (txn.type, txn.amount, txn.fee) == ("refund", -2_000, 0)
    unpaid = await _intent(client)
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.refunds.create_async({"payment_intent": unpaid.id})


async def test_refunds_are_pending_until_the_loop_settles_them(tmp_path: Path) -> None:
    with run_sandbox(tmp_path / "s.db", refund_settle_delay=0.3) as server:
        client = server.sdk()
        pi = await _intent(client, confirm=True, payment_method="pm_card_visa")
        refund = await client.v1.refunds.create_async({"payment_intent": pi.id})
        assert refund.status == "pending"

        async def settled() -> bool:
            found = await client.v1.refunds.retrieve_async(refund.id)
            return found.status == "succeeded"

        await eventually(settled)
        events = await server.webhooks(object_id=refund.id)
        assert {e["type"] for e in events} == {"refund.created", "refund.updated"}


async def test_idempotency_key_replays_the_first_answer(sandbox: StripeServer) -> None:
    client = sandbox.sdk()
    params: Any = {"amount": 1_234, "currency": "usd", "metadata": {"reference": "idem-1"}}
    first = await client.v1.payment_intents.create_async(params, {"idempotency_key": "idem-1"})
    again = await client.v1.payment_intents.create_async(params, {"idempotency_key": "idem-1"})
    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers.get("idempotent-replayed") == "true"
    with pytest.raises(stripe.IdempotencyError):
        await client.v1.payment_intents.create_async(
            params | {"amount": 999}, {"idempotency_key": "idem-1"}
        )
    # A decline began execution: stored and replayed, the card is not tried twice.
    pi = await _intent(client)
    for _ in range(2):
        with pytest.raises(stripe.CardError):
            await client.v1.payment_intents.confirm_async(
                pi.id, {"payment_method": "pm_card_chargeDeclined"}, {"idempotency_key": "d-1"}
            )
    failures = await sandbox.webhooks(object_id=pi.id, type="payment_intent.payment_failed")
    assert len(failures) == 1
    # Refused by validation: nothing stored, the key is free for a corrected request.
    with pytest.raises(stripe.InvalidRequestError):
        no_currency: Any = {"amount": 1_000}
        await client.v1.payment_intents.create_async(no_currency, {"idempotency_key": "fix-me"})
    fixed = await client.v1.payment_intents.create_async(
        {"amount": 1_000, "currency": "usd"}, {"idempotency_key": "fix-me"}
    )
    assert fixed.status == "requires_payment_method"


async def test_list_pages_newest_first_within_created_bounds(tmp_path: Path) -> None:
    with run_sandbox(tmp_path / "s.db") as server:
        client = server.sdk()
        start = int(time.time())
        made = [(await _intent(client, 1_000 + i)).id for i in range(5)]
        end = int(time.time()) + 1
        seen: list[str] = []
        after: str | None = None
        while True:
            params: Any = {"limit": 2, "created": {"gte": start, "lt": end}}
            if after:
                params["starting_after"] = after
            page = await client.v1.payment_intents.list_async(params)
            seen += [pi.id for pi in page.data]
            if not page.has_more:
                break
            after = page.data[-1].id
        assert seen == list(reversed(made))
        empty = await client.v1.payment_intents.list_async({"created": {"lt": start}})
        assert empty.data == [] and empty.has_more is False


async def test_accounts_see_only_their_own_objects(sandbox: StripeServer) -> None:
    pi = await _intent(sandbox.sdk())
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await sandbox.sdk(OTHER).v1.payment_intents.retrieve_async(pi.id)
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    found = await sandbox.sdk(OTHER).v1.payment_intents.search_async(
        {"query": "metadata['reference']:'ref-1'"}
    )
    assert found.data == []


async def test_errors_have_stripes_shape_and_statuses(sandbox: StripeServer) -> None:
    async with sandbox.control() as http:
        no_key = await http.post("/v1/payment_intents", data={"amount": "100"})
        bad_key = await http.get("/v1/payment_intents", auth=("sk_test_nope", ""))
        missing = await http.post(
            "/v1/payment_intents", data={"currency": "usd"}, auth=(SECRET_KEY, "")
        )
        unknown = await http.get("/v1/payment_intents/pi_nope", auth=(SECRET_KEY, ""))
        bearer = await http.get(
            "/v1/payment_intents", headers={"authorization": f"Bearer {SECRET_KEY}"}
        )
    assert no_key.status_code == 401 and bad_key.status_code == 401
    assert no_key.json()["error"]["type"] == "invalid_request_error"
    error = missing.json()["error"]
    assert missing.status_code == 400
    assert (error["code"], error["param"]) == ("parameter_missing", "amount")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "resource_missing"
    assert bearer.status_code == 200 and bearer.json()["object"] == "list"


async def test_webhooks_are_signed_for_the_sdk_and_retried(
    sandbox: StripeServer, receiver: Receiver
) -> None:
    async def quiet() -> bool:  # earlier tests' deliveries are done: the 500 goes to ours
        return not await sandbox.webhooks(status="pending")

    await eventually(quiet)
    receiver.replies.append((500, {"error": "try later"}))
    client = sandbox.sdk()
    pi = await _intent(client, confirm=True, payment_method="pm_card_visa")

    def delivered(event_type: str) -> list[Any]:
        return [
            r
            for r in list(receiver.requests)
            if r.payload["type"] == event_type and r.payload["data"]["object"]["id"] == pi.id
        ]

    await eventually(lambda: delivered("payment_intent.succeeded"))
    request = delivered("payment_intent.succeeded")[0]
    event = stripe.Webhook.construct_event(
        request.body, request.headers["stripe-signature"], WEBHOOK_SECRET
    )
    assert event.id.startswith("evt_") and event.type == "payment_intent.succeeded"
    assert event.data.object["id"] == pi.id and event.data.object["amount_received"] == 2_000
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            request.body, request.headers["stripe-signature"], OTHER.webhook_secret
        )
    stored = await client.v1.events.retrieve_async(event.id)
    assert stored.type == "payment_intent.succeeded"
    charge_events = await sandbox.webhooks(object_id=str(pi.latest_charge))
    assert [r["type"] for r in charge_events] == ["charge.succeeded"]

    async def all_delivered() -> list[dict[str, Any]] | None:
        rows = await sandbox.webhooks(object_id=pi.id)
        return rows if all(r["status"] == "delivered" for r in rows) else None

    rows = await eventually(all_delivered)
    assert [r["type"] for r in reversed(rows)] == [
        "payment_intent.created",
        "payment_intent.succeeded",
    ]
    first = rows[-1]  # met the scripted 500, then was sent again
    assert [a["status_code"] for a in first["attempts"]] == [500, 200]
    assert json.loads(request.body)["livemode"] is False


async def test_each_attempt_carries_a_fresh_timestamp(
    sandbox: StripeServer, receiver: Receiver
) -> None:
    client = sandbox.sdk()
    pi = await _intent(client)
    rows = await sandbox.webhooks(object_id=pi.id, type="payment_intent.created")
    event_id = rows[0]["event_id"]
    await eventually(lambda: any(r.payload.get("id") == event_id for r in list(receiver.requests)))
    await asyncio.sleep(1.1)  # the next second: a new ``t``
    async with sandbox.control() as http:
        r = await http.post(f"/_sandbox/webhooks/{rows[0]['id']}/resend")
    assert r.status_code == 200

    def copies() -> list[Any]:
        return [q for q in list(receiver.requests) if q.payload.get("id") == rows[0]["event_id"]]

    await eventually(lambda: len(copies()) == 2)
    first, second = (q.headers["stripe-signature"] for q in copies())
    assert first.split(",")[0] != second.split(",")[0]  # t=… differs
    for q in copies():
        stripe.Webhook.construct_event(q.body, q.headers["stripe-signature"], WEBHOOK_SECRET)


async def test_fault_switch_answers_stripes_api_error(sandbox: StripeServer) -> None:
    await sandbox.faults(down=True)
    try:
        with pytest.raises(stripe.APIError) as down:
            await _intent(sandbox.sdk())
        assert down.value.http_status == 503
        async with httpx.AsyncClient(base_url=sandbox.url) as http:
            assert (await http.get("/_sandbox/webhooks")).status_code == 200
    finally:
        await sandbox.faults()
