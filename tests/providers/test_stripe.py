"""``StripeGateway`` (the official SDK) against the Stripe sandbox over real HTTP: the
PaymentProvider calls, status and fee mapping, idempotency keys, webhook verification with our
clock, and the classification of failures (fault switch, timeouts, refused connections)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import stripe

from kro.kit.clock import clock
from kro.kit.errors import BadRequest
from kro.kit.ids import new_id
from kro.providers.base import ChargeRequest, ChargeStatus, Credentials, RefundStatus
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.stripe import StripeGateway, gateway
from kro.sandbox.stripe import signature_header
from tests.sandbox.paystack_fixtures import eventually
from tests.sandbox.providus_fixtures import Receiver, run_receiver
from tests.sandbox.stripe_fixtures import OTHER, SECRET_KEY, WEBHOOK_SECRET, StripeServer
from tests.sandbox.stripe_fixtures import run_sandbox as run_stripe
from tests.support.server import free_port

# stripe.HTTPXClient (the SDK client of the fixtures) sends form bodies as ``data=<str>``.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with run_receiver() as r:
        yield r


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[StripeServer]:
    with run_stripe(tmp_path_factory.mktemp("stripe") / "stripe.db", receiver.url) as server:
        yield server


def _request(amount: int = 5_000, **extra: Any) -> ChargeRequest:
    values: dict[str, Any] = {
        "reference": new_id("pay"),
        "amount": amount,
        "currency": "USD",
        "email": "ada@example.com",
        "return_url": "https://shop.example/back",
        "metadata": {"order": "o-1"},
    }
    return ChargeRequest(**(values | extra))


async def test_automatic_charge_through_the_hosted_page(sandbox: StripeServer) -> None:
    request = _request(10_000)
    async with sandbox.gateway() as stripe_:
        opened = await stripe_.create_charge(request)
        assert opened.status is ChargeStatus.PENDING and opened.provider_id
        assert opened.redirect_url == (
            f"{sandbox.url}/pay/{opened.provider_id}?return_url=https%3A%2F%2Fshop.example%2Fback"
        )
        body = await sandbox.page(opened.provider_id, "pay", return_url=request.return_url or "")
        assert "redirect_status=succeeded" in body["redirect_url"]
        paid = await stripe_.get_charge(request.reference, opened.provider_id)
    assert paid.status is ChargeStatus.SUCCEEDED and paid.reference == request.reference
    assert (paid.amount, paid.amount_captured, paid.fee, paid.currency) == (
        10_000,
        10_000,
        320,
        "USD",
    )
    assert paid.paid_at is not None and paid.created_at is not None and paid.redirect_url is None


async def test_manual_capture_partial_then_cancel_another(sandbox: StripeServer) -> None:
    request = _request(8_000, capture_method="manual")
    async with sandbox.gateway() as stripe_:
        opened = await stripe_.create_charge(request)
        assert opened.provider_id
        await sandbox.page(opened.provider_id, "pay")
        held = await stripe_.get_charge(request.reference, opened.provider_id)
        assert held.status is ChargeStatus.REQUIRES_CAPTURE and held.amount_captured == 0
        captured = await stripe_.capture(request.reference, opened.provider_id, 6_000)
        assert captured.status is ChargeStatus.SUCCEEDED and captured.amount_captured == 6_000
        assert captured.fee == 204  # 2.9 % of 60.00 + 30 ¢
        again = await stripe_.capture(request.reference, opened.provider_id, 6_000)
        assert again == captured  # same idempotency key: Stripe replays the first answer

        other = _request(3_000, capture_method="manual")
        held2 = await stripe_.create_charge(other)
        assert held2.provider_id
        await sandbox.page(held2.provider_id, "pay")
        canceled = await stripe_.cancel(other.reference, held2.provider_id)
        assert canceled.status is ChargeStatus.CANCELED
        with pytest.raises(ProviderRejected) as late:
            await stripe_.capture(other.reference + "-x", held2.provider_id, 3_000)
    assert late.value.provider_code == "payment_intent_unexpected_state"


async def test_declined_on_the_page_is_failed_with_the_reason(sandbox: StripeServer) -> None:
    request = _request()
    async with sandbox.gateway() as stripe_:
        opened = await stripe_.create_charge(request)
        assert opened.provider_id
        await sandbox.page(opened.provider_id, "decline")
        failed = await stripe_.get_charge(request.reference, opened.provider_id)
    assert (
        failed.status is ChargeStatus.FAILED and failed.failure_reason == "Your card was declined."
    )


async def test_three_d_secure_is_requires_action_with_the_redirect(sandbox: StripeServer) -> None:
    request = _request()
    async with sandbox.gateway() as stripe_:
        opened = await stripe_.create_charge(request)
        assert opened.provider_id
        await sandbox.sdk().v1.payment_intents.confirm_async(
            opened.provider_id,
            {"payment_method": "pm_card_threeDSecure2Required", "return_url": "https://x.example"},
        )
        action = await stripe_.get_charge(request.reference, opened.provider_id)
    assert action.status is ChargeStatus.REQUIRES_ACTION
    assert action.redirect_url == f"{sandbox.url}/pay/{opened.provider_id}"


async def test_same_reference_creates_one_payment_intent(sandbox: StripeServer) -> None:
    request = _request()
    async with sandbox.gateway() as stripe_:
        first = await stripe_.create_charge(request)
        second = await stripe_.create_charge(request)
        found = await stripe_.get_charge(request.reference, None)
        with pytest.raises(ProviderRejected) as unknown:
            await stripe_.get_charge("pay_unknown", None)
    assert second.provider_id == first.provider_id == found.provider_id
    assert (
        unknown.value.provider_status == 404 and unknown.value.provider_code == "resource_missing"
    )


async def test_refunds_partial_full_over_and_replayed(sandbox: StripeServer) -> None:
    request = _request(4_000)
    async with sandbox.gateway() as stripe_:
        opened = await stripe_.create_charge(request)
        assert opened.provider_id
        await sandbox.page(opened.provider_id, "pay")
        part = await stripe_.refund(request.reference, opened.provider_id, 1_500, "USD", "rf-1")
        replay = await stripe_.refund(request.reference, opened.provider_id, 1_500, "USD", "rf-1")
        assert replay.provider_refund_id == part.provider_refund_id
        assert (part.status, part.amount, part.currency) == (RefundStatus.SUCCEEDED, 1_500, "USD")
        with pytest.raises(ProviderRejected) as over:
            await stripe_.refund(request.reference, None, 2_501, "USD", "rf-2")
        assert over.value.provider_code == "amount_too_large"
        rest = await stripe_.refund(request.reference, None, 2_500, "USD", "rf-3")
        assert (await stripe_.get_refund(rest.provider_refund_id)).amount == 2_500
        with pytest.raises(ProviderRejected):
            await stripe_.refund(request.reference, opened.provider_id, 1, "USD", "rf-4")


async def test_list_charges_pages_through_the_window(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gateway, "PAGE", 2)
    with run_stripe(tmp_path_factory.mktemp("list") / "s.db") as server:
        async with server.gateway() as stripe_:
            start = clock.now() - timedelta(seconds=1)
            made = [
                (await stripe_.create_charge(_request(1_000 + i))).provider_id for i in range(5)
            ]
            end = clock.now() + timedelta(seconds=2)
            listed = await stripe_.list_charges(start, end)
            assert [c.provider_id for c in listed] == list(reversed(made))
            assert await stripe_.list_charges(start - timedelta(hours=1), start) == []


async def test_a_delivered_webhook_verifies_and_parses(
    sandbox: StripeServer, receiver: Receiver
) -> None:
    request = _request()
    async with sandbox.gateway() as stripe_:
        opened = await stripe_.create_charge(request)
        assert opened.provider_id
        await sandbox.page(opened.provider_id, "pay")
        await stripe_.refund(request.reference, opened.provider_id, 1_000, "USD", new_id("rf"))

        def got(event_type: str) -> Any:
            return next((r for r in list(receiver.requests) if r.payload["type"] == event_type
                         and str(opened.provider_id) in r.body.decode()), None)  # fmt: skip

        paid = await eventually(lambda: got("payment_intent.succeeded"))
        assert stripe_.verify_webhook(paid.body, paid.headers, clock.now())
        hint = stripe_.parse_webhook(paid.body)
        assert (hint.kind, hint.reference, hint.provider_id) == (
            "charge", request.reference, opened.provider_id,
        )  # fmt: skip
        assert (
            hint.event_key == paid.payload["id"] and hint.event_type == "payment_intent.succeeded"
        )
        refunded = await eventually(lambda: got("refund.created"))
        refund_hint = stripe_.parse_webhook(refunded.body)
        assert refund_hint.kind == "refund" and refund_hint.provider_id == opened.provider_id
        assert refund_hint.refund_id and refund_hint.refund_id.startswith("re_")
        assert refund_hint.reference == request.reference


def test_verify_webhook_refuses_stale_forged_and_foreign_signatures() -> None:
    body = json.dumps({"id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
                       "data": {"object": {"id": "pi_1", "object": "payment_intent"}}})  # fmt: skip
    now = clock.now()
    t = int(now.timestamp())
    mine = StripeGateway("http://127.0.0.1:9", Credentials(SECRET_KEY, WEBHOOK_SECRET), timeout=1)
    good = {"Stripe-Signature": signature_header(body, WEBHOOK_SECRET, t)}
    assert mine.verify_webhook(body.encode(), good, now)
    assert mine.verify_webhook(body.encode(), good, now + timedelta(seconds=299))
    assert not mine.verify_webhook(body.encode(), good, now + timedelta(seconds=301))
    sdk_header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET, t)
    assert mine.verify_webhook(body.encode(), {"stripe-signature": sdk_header}, now)
    forged = {"stripe-signature": f"t={t},v1={'0' * 64}"}
    foreign = {"stripe-signature": signature_header(body, OTHER.webhook_secret, t)}
    edited = body.replace("pi_1", "pi_2").encode()
    for headers, raw in [(forged, body.encode()), (foreign, body.encode()), (good, edited),
                         ({}, body.encode()), ({"stripe-signature": "garbage"}, body.encode()),
                         (good, b"\xff\xfe")]:  # fmt: skip
        assert not mine.verify_webhook(raw, headers, now)
    no_secret = StripeGateway("http://127.0.0.1:9", Credentials(SECRET_KEY), timeout=1)
    assert not no_secret.verify_webhook(body.encode(), good, now)
    with pytest.raises(BadRequest):
        no_secret.parse_webhook(b'{"type": "x"}')
    assert no_secret.parse_webhook(body.encode()).kind == "charge"


async def test_accounts_are_isolated_and_bad_keys_rejected(sandbox: StripeServer) -> None:
    async with sandbox.gateway() as mine, sandbox.gateway(OTHER) as theirs:
        opened = await mine.create_charge(_request())
        assert opened.provider_id
        with pytest.raises(ProviderRejected) as foreign:
            await theirs.get_charge("x", opened.provider_id)
        assert foreign.value.provider_status == 404
    bad = StripeGateway(sandbox.url, Credentials("sk_test_wrong"), timeout=5)
    async with bad:
        with pytest.raises(ProviderRejected) as denied:
            await bad.get_charge("x", opened.provider_id)
    assert denied.value.provider_status == 401


async def test_down_is_unavailable_and_5xx_on_money_is_a_timeout(sandbox: StripeServer) -> None:
    async with sandbox.gateway() as stripe_:
        await sandbox.faults(down=True)
        try:
            with pytest.raises(ProviderUnavailable):
                await stripe_.create_charge(_request())
            with pytest.raises(ProviderUnavailable):
                await stripe_.get_charge("x", "pi_x")
            await sandbox.faults(error_rate=1.0, error_status=500)
            with pytest.raises(ProviderTimeout):
                await stripe_.create_charge(_request())
            with pytest.raises(ProviderUnavailable):
                await stripe_.get_charge("x", "pi_x")
        finally:
            await sandbox.faults()


async def test_no_answer_after_acceptance_is_a_timeout_and_the_charge_exists(
    sandbox: StripeServer,
) -> None:
    request = _request()
    await sandbox.faults(timeout_rate=1.0, timeout_seconds=1.5)
    try:
        async with sandbox.gateway(timeout=0.3) as stripe_:
            with pytest.raises(ProviderTimeout):
                await stripe_.create_charge(request)
    finally:
        await sandbox.faults()
    async with sandbox.gateway() as stripe_:
        found = await stripe_.get_charge(request.reference, None)
        retried = await stripe_.create_charge(request)  # same key: the same PaymentIntent
    assert found.status is ChargeStatus.PENDING and found.amount == request.amount
    assert retried.provider_id == found.provider_id


async def test_refused_connection_is_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with StripeGateway(url, Credentials(SECRET_KEY), timeout=2) as stripe_:
        with pytest.raises(ProviderUnavailable):
            await stripe_.create_charge(_request())
