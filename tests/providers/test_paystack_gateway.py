"""The Paystack gateway (``PaymentProvider``) against the sandbox over real HTTP: the whole
charge and refund cycle, refund idempotency without a provider key, faults, webhooks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from kro.kit.errors import BadRequest
from kro.providers.base import (
    ChargeRequest,
    ChargeStatus,
    Credentials,
    PaymentProvider,
    RefundStatus,
)
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.paystack import PaystackClient, compute_signature
from kro.providers.paystack.gateway import PaystackGateway, charge_status
from tests.sandbox.paystack_fixtures import SECRET_KEY, SandboxServer, eventually, pay, tx_ref

CREDENTIALS = Credentials(secret_key=SECRET_KEY)
NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
async def gateway(sandbox: SandboxServer) -> AsyncIterator[PaystackGateway]:
    async with PaystackGateway(sandbox.url, CREDENTIALS, timeout=10.0) as gw:
        yield gw


Faults = Callable[..., Awaitable[None]]


@pytest.fixture
async def faults(sandbox: SandboxServer) -> AsyncIterator[Faults]:
    """``await faults(**settings)`` sets the sandbox's fault switch (``PUT /_sandbox/faults``);
    it is cleared after the test whatever happened."""
    async with httpx.AsyncClient(base_url=sandbox.url) as control:

        async def put(**settings: Any) -> None:
            response = await control.put("/_sandbox/faults", json=settings)
            assert response.status_code == 200, response.text

        yield put
        (await control.delete("/_sandbox/faults")).raise_for_status()


def charge(amount: int = 500_000, **overrides: Any) -> ChargeRequest:
    values: dict[str, Any] = {
        "reference": tx_ref(),
        "amount": amount,
        "currency": "NGN",
        "email": "buyer@example.com",
        "return_url": "https://shop.test/back",
        "metadata": {"order_id": "ord_1"},
    }
    values.update(overrides)
    return ChargeRequest(**values)


async def test_is_a_payment_provider() -> None:
    provider: type[PaymentProvider] = PaystackGateway
    assert provider.name == "paystack" and provider.supports_manual_capture is False
    async with PaystackGateway("https://api.paystack.co", CREDENTIALS, timeout=1) as gateway:
        assert "sk_" not in repr(gateway)


async def test_charge_and_refund_cycle(
    sandbox: SandboxServer, gateway: PaystackGateway, paystack: PaystackClient
) -> None:
    started = datetime.now(UTC)
    request = charge()
    created = await gateway.create_charge(request)
    assert (created.status, created.reference, created.provider_id) == (
        ChargeStatus.PENDING, request.reference, None,
    )  # fmt: skip
    assert created.redirect_url and created.redirect_url.startswith(
        f"{sandbox.config.public_base_url}/checkout/"
    )
    unpaid = await gateway.get_charge(request.reference, None)
    assert (unpaid.status, unpaid.amount_captured, unpaid.fee) == (ChargeStatus.PENDING, 0, 0)
    assert (await paystack.verify_transaction(request.reference)).metadata == {
        "order_id": "ord_1",
        "kro_reference": request.reference,
    }

    await pay(sandbox, created.redirect_url)
    paid = await gateway.get_charge(request.reference, None)
    assert paid.status is ChargeStatus.SUCCEEDED
    assert (paid.amount, paid.amount_captured, paid.fee, paid.currency) == (
        500_000, 500_000, 17_500, "NGN",
    )  # fmt: skip
    assert paid.provider_id and paid.provider_id.isdigit() and paid.paid_at is not None

    refund = await gateway.refund(request.reference, paid.provider_id, 200_000, "NGN", "rf_a1")
    assert (refund.status, refund.amount, refund.currency) == (RefundStatus.PENDING, 200_000, "NGN")
    assert (await gateway.get_refund(refund.provider_refund_id)).status is RefundStatus.PENDING

    # The same key again (a retry after an unknown outcome) is the same refund, not a second.
    again = await gateway.refund(request.reference, None, 200_000, "NGN", "rf_a1")
    assert again.provider_refund_id == refund.provider_refund_id
    assert len(await paystack.list_refunds(request.reference)) == 1

    async with httpx.AsyncClient() as control:
        await control.post(f"{sandbox.url}/_sandbox/tick")
    done = await eventually(lambda: _processed(gateway, refund.provider_refund_id), within=5.0)
    assert done.amount == 200_000
    still = await gateway.get_charge(request.reference, paid.provider_id)
    assert still.status is ChargeStatus.SUCCEEDED  # partly refunded: still a taken charge

    listed = await gateway.list_charges(started, datetime.now(UTC) + timedelta(seconds=1))
    mine = [c for c in listed if c.reference == request.reference]
    assert len(mine) == 1 and mine[0].status is ChargeStatus.SUCCEEDED and mine[0].fee == 17_500


async def _processed(gateway: PaystackGateway, refund_id: str) -> Any:
    refund = await gateway.get_refund(refund_id)
    return refund if refund.status is RefundStatus.SUCCEEDED else None


async def test_fully_refunded_charge_stays_succeeded(
    sandbox: SandboxServer, gateway: PaystackGateway
) -> None:
    request = charge(100_000)
    created = await gateway.create_charge(request)
    assert created.redirect_url
    await pay(sandbox, created.redirect_url)
    refund = await gateway.refund(request.reference, None, 100_000, "NGN", "rf_full")
    await eventually(lambda: _processed(gateway, refund.provider_refund_id))
    reversed_ = await gateway.get_charge(request.reference, None)
    assert (reversed_.status, reversed_.amount_captured) == (ChargeStatus.SUCCEEDED, 100_000)
    with pytest.raises(ProviderRejected, match="fully reversed"):
        await gateway.refund(request.reference, None, 1, "NGN", "rf_more")


async def test_declined_charge_fails_with_the_gateway_response(
    sandbox: SandboxServer, gateway: PaystackGateway
) -> None:
    request = charge()
    created = await gateway.create_charge(request)
    assert created.redirect_url
    await pay(sandbox, created.redirect_url, "decline")
    failed = await gateway.get_charge(request.reference, None)
    assert (failed.status, failed.failure_reason, failed.fee) == (
        ChargeStatus.FAILED, "Declined", 0,
    )  # fmt: skip
    with pytest.raises(ProviderRejected, match="not successful"):
        await gateway.refund(request.reference, failed.provider_id, 1_000, "NGN", "rf_declined")


async def test_create_charge_again_returns_the_existing_charge(gateway: PaystackGateway) -> None:
    request = charge()
    await gateway.create_charge(request)
    again = await gateway.create_charge(request)
    assert (again.reference, again.status, again.amount) == (
        request.reference, ChargeStatus.PENDING, 500_000,
    )  # fmt: skip
    with pytest.raises(ProviderRejected, match="Duplicate Transaction Reference"):
        await gateway.create_charge(charge(reference=request.reference, amount=1_000))


async def test_unknown_charge_and_refund_are_rejected(gateway: PaystackGateway) -> None:
    with pytest.raises(ProviderRejected) as charge_missing:
        await gateway.get_charge("no-such-reference", None)
    assert charge_missing.value.provider_code == "transaction_not_found"
    with pytest.raises(ProviderRejected) as refund_missing:
        await gateway.get_refund("999999999")
    assert refund_missing.value.provider_status == 404


async def test_no_manual_capture(gateway: PaystackGateway) -> None:
    with pytest.raises(ProviderRejected, match="no manual capture") as refused:
        await gateway.create_charge(charge(capture_method="manual"))
    assert refused.value.provider_code == "not_supported"
    with pytest.raises(ProviderRejected):
        await gateway.capture("ref", "1", 100)
    with pytest.raises(ProviderRejected):
        await gateway.cancel("ref", "1")


@pytest.mark.parametrize(
    ("paystack_status", "ours"),
    [
        ("success", ChargeStatus.SUCCEEDED),
        ("reversed", ChargeStatus.SUCCEEDED),
        ("failed", ChargeStatus.FAILED),
        ("abandoned", ChargeStatus.PENDING),
        ("ongoing", ChargeStatus.PENDING),
        ("queued", ChargeStatus.PENDING),
        ("send_otp", ChargeStatus.REQUIRES_ACTION),
        ("open_url", ChargeStatus.REQUIRES_ACTION),
        ("something_new", ChargeStatus.PENDING),
    ],
)
def test_status_mapping(paystack_status: str, ours: ChargeStatus) -> None:
    assert charge_status(paystack_status) is ours


async def test_provider_down_is_unavailable(gateway: PaystackGateway, faults: Faults) -> None:
    request = charge()
    await faults(down=True)
    with pytest.raises(ProviderUnavailable):
        await gateway.create_charge(request)
    with pytest.raises(ProviderUnavailable):
        await gateway.get_charge(request.reference, None)
    await faults()
    with pytest.raises(ProviderRejected):  # nothing was created while it was down
        await gateway.get_charge(request.reference, None)


async def test_timeout_after_acceptance_is_an_unknown_outcome(
    sandbox: SandboxServer, faults: Faults
) -> None:
    request = charge()
    await faults(timeout_rate=1, timeout_seconds=3)
    async with PaystackGateway(sandbox.url, CREDENTIALS, timeout=0.5) as impatient:
        with pytest.raises(ProviderTimeout):
            await impatient.create_charge(request)
    await faults()
    async with PaystackGateway(sandbox.url, CREDENTIALS, timeout=10) as gateway:
        exists = await gateway.get_charge(request.reference, None)
    assert exists.status is ChargeStatus.PENDING and exists.amount == 500_000


async def test_refund_retry_after_a_lost_answer_does_not_refund_twice(
    sandbox: SandboxServer, gateway: PaystackGateway, faults: Faults
) -> None:
    request = charge(300_000)
    created = await gateway.create_charge(request)
    assert created.redirect_url
    await pay(sandbox, created.redirect_url)
    tx_id = (await gateway.get_charge(request.reference, None)).provider_id
    assert tx_id

    # The refund is made at Paystack but its answer never arrives (as the gateway's own POST
    # would be after its lookup), so the caller only knows the outcome is unknown.
    await faults(timeout_rate=1, timeout_seconds=3)
    async with PaystackClient(sandbox.url, SECRET_KEY, timeout=0.5) as impatient:
        with pytest.raises(ProviderTimeout):
            await impatient.refund(tx_id, 120_000, currency="NGN", merchant_note="rf_lost")
    await faults()

    retried = await gateway.refund(request.reference, tx_id, 120_000, "NGN", "rf_lost")
    async with PaystackClient(sandbox.url, SECRET_KEY) as client:
        refunds = await client.list_refunds(tx_id)
    assert [r.id for r in refunds] == [int(retried.provider_refund_id)]
    assert retried.amount == 120_000


async def test_webhooks_verify_and_parse(sandbox: SandboxServer, gateway: PaystackGateway) -> None:
    request = charge(150_000)
    created = await gateway.create_charge(request)
    assert created.redirect_url
    await pay(sandbox, created.redirect_url)
    paid = await gateway.get_charge(request.reference, None)
    refund = await gateway.refund(request.reference, paid.provider_id, 50_000, "NGN", "rf_hook")

    [delivered] = await eventually(
        lambda: sandbox.receiver.for_reference(request.reference, "charge.success")
    )
    assert gateway.verify_webhook(delivered.body, delivered.headers, NOW)
    hint = PaystackGateway.parse_webhook(delivered.body)  # no credentials needed
    assert (hint.kind, hint.event_type, hint.reference, hint.provider_id) == (
        "charge", "charge.success", request.reference, paid.provider_id,
    )  # fmt: skip
    assert hint.event_key == f"charge.success:{request.reference}"

    [pending] = await eventually(
        lambda: sandbox.receiver.for_reference(request.reference, "refund.pending")
    )
    assert gateway.verify_webhook(pending.body, pending.headers, NOW)
    refund_hint = gateway.parse_webhook(pending.body)
    assert (refund_hint.kind, refund_hint.reference, refund_hint.refund_id) == (
        "refund", request.reference, refund.provider_refund_id,
    )  # fmt: skip

    tampered = delivered.body.replace(b"150000", b"150001")
    assert not gateway.verify_webhook(tampered, delivered.headers, NOW)
    assert not gateway.verify_webhook(delivered.body, {}, NOW)
    async with PaystackGateway(sandbox.url, Credentials("sk_test_other"), timeout=1) as other:
        assert not other.verify_webhook(delivered.body, delivered.headers, NOW)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"event": "charge.dispute.create",
             "data": {"id": 77, "transaction": {"id": 12, "reference": "ref-d"}}},
            ("charge", "ref-d", "12", None),
        ),
        (
            {"event": "refund.processed",
             "data": {"transaction_reference": "ref-r", "amount": "5000"}},
            ("refund", "ref-r", None, None),
        ),
        (
            {"event": "transfer.success", "data": {"id": 9, "reference": "po-1"}},
            ("other", "po-1", None, None),
        ),
    ],
)  # fmt: skip
async def test_parse_webhook_kinds(
    payload: dict[str, Any], expected: tuple[str, str, str | None, str | None]
) -> None:
    body = json.dumps(payload).encode()
    hint = PaystackGateway.parse_webhook(body)
    assert (hint.kind, hint.reference, hint.provider_id, hint.refund_id) == expected
    signed = {"X-Paystack-Signature": compute_signature(body, SECRET_KEY)}
    async with PaystackGateway("http://x", CREDENTIALS, timeout=1) as gateway:
        assert gateway.verify_webhook(body, signed, NOW)


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"data": {}}'])
def test_parse_webhook_refuses_non_events(body: bytes) -> None:
    with pytest.raises(BadRequest):
        PaystackGateway.parse_webhook(body)
