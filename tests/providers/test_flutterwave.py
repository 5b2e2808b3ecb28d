"""The Flutterwave adapter's pure parts: webhook authentication (``verif-hash`` in constant
time, or ``flutterwave-signature``), parsing without credentials and event keys, major ↔ minor
conversion with Decimal only, and what the gateway refuses without a request. The adapter
against the sandbox over HTTP is in ``tests/sandbox/test_flutterwave_sandbox.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kro.providers.base import ChargeStatus, Credentials, PaymentProvider
from kro.providers.errors import ProviderRejected
from kro.providers.flutterwave import (
    FlutterwaveGateway,
    FlutterwaveRefund,
    FlutterwaveTransaction,
    InvalidWebhookPayload,
    compute_signature,
    parse_event,
    to_charge,
    to_flutterwave,
    to_minor,
    verify_signature,
)

SECRET_HASH = "my-dashboard-secret-hash"
BODY = (
    b'{"event":"charge.completed","data":{"id":285959875,"tx_ref":"pay_01","flw_ref":'
    b'"FLW-MOCK-1","amount":1234.56,"currency":"NGN","charged_amount":1234.56,'
    b'"app_fee":17.28,"merchant_fee":0,"status":"successful","payment_type":"card",'
    b'"created_at":"2024-05-01T10:00:00.000Z","customer":{"email":"ada@example.com"}},'
    b'"event.type":"CARD_TRANSACTION"}'
)
NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def _gateway(secret: str | None = SECRET_HASH) -> FlutterwaveGateway:
    # Never reaches the network in these tests.
    return FlutterwaveGateway(
        "http://127.0.0.1:9", Credentials("FLWSECK_TEST-x", secret), timeout=1.0
    )


async def test_verif_hash_and_signature_are_accepted() -> None:
    gateway: PaymentProvider = _gateway()  # the gateway is a PaymentProvider
    async with gateway:
        assert gateway.verify_webhook(BODY, {"verif-hash": SECRET_HASH}, NOW)
        assert gateway.verify_webhook(BODY, {"Verif-Hash": SECRET_HASH}, NOW)
        signature = compute_signature(BODY, SECRET_HASH)
        assert gateway.verify_webhook(BODY, {"flutterwave-signature": signature}, NOW)


@pytest.mark.parametrize(
    ("body", "headers", "secret"),
    [
        (BODY, {"verif-hash": "forged-hash"}, SECRET_HASH),
        (BODY, {"verif-hash": SECRET_HASH[:-1]}, SECRET_HASH),
        (BODY, {}, SECRET_HASH),
        (BODY, {"verif-hash": ""}, SECRET_HASH),
        (BODY, {"verif-hash": SECRET_HASH}, None),  # no secret configured
        (BODY, {"flutterwave-signature": compute_signature(BODY, "other")}, SECRET_HASH),
        (
            BODY.replace(b"1234.56", b"9999.99"),
            {"flutterwave-signature": compute_signature(BODY, SECRET_HASH)},
            SECRET_HASH,
        ),
    ],
    ids=["forged", "prefix", "missing", "empty", "no-secret", "wrong-key", "edited-body"],
)
async def test_forged_webhooks_are_refused(
    body: bytes, headers: dict[str, str], secret: str | None
) -> None:
    assert not verify_signature(body, headers, secret)
    async with _gateway(secret) as gateway:
        assert not gateway.verify_webhook(body, headers, NOW)


def test_parse_webhook_needs_no_credentials_and_keys_on_id_and_status() -> None:
    hint = FlutterwaveGateway.parse_webhook(BODY)
    assert (hint.kind, hint.event_type, hint.reference, hint.provider_id) == (
        "charge", "charge.completed", "pay_01", "285959875"
    )  # fmt: skip
    assert hint.event_key == "charge.completed:285959875:successful"
    failed = BODY.replace(b'"successful"', b'"failed"')
    assert FlutterwaveGateway.parse_webhook(failed).event_key != hint.event_key
    transfer = b'{"event":"transfer.completed","data":{"id":7,"status":"SUCCESSFUL"}}'
    assert FlutterwaveGateway.parse_webhook(transfer).kind == "other"
    for garbage in (b"not json", b'{"data": {}}', b"[]", b'{"event":"x","data":3}'):
        with pytest.raises(InvalidWebhookPayload):
            FlutterwaveGateway.parse_webhook(garbage)


def test_events_become_charges_in_minor_units() -> None:
    event = parse_event(BODY)
    assert event.data["amount"] == Decimal("1234.56")
    charge = to_charge(FlutterwaveTransaction.model_validate(event.data))
    assert charge.status is ChargeStatus.SUCCEEDED
    assert (charge.amount, charge.amount_captured, charge.fee) == (123_456, 123_456, 1_728)
    assert charge.provider_id == "285959875" and charge.paid_at == NOW


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        (Decimal("1234.56"), "NGN", 123_456),
        (10000, "NGN", 1_000_000),
        ("0.5", "USD", 50),
        (Decimal("101.50"), "NGN", 10_150),
        (500, "UGX", 500),  # no minor unit
    ],
)
def test_major_to_minor_and_back(value: object, currency: str, minor: int) -> None:
    assert to_minor(value, currency) == minor
    assert to_minor(to_flutterwave(minor, currency), currency) == minor


@pytest.mark.parametrize("value", [1234.56, True, Decimal("1.001"), "abc", None])
def test_floats_and_fractions_of_a_kobo_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        to_minor(value, "NGN")


def test_minor_to_major_is_a_plain_number() -> None:
    assert str(to_flutterwave(123_456, "NGN")) == "1234.56"
    assert str(to_flutterwave(1_000_000, "NGN")) == "10000"
    assert str(to_flutterwave(10_150, "NGN")) == "101.5"


async def test_no_manual_capture() -> None:
    assert FlutterwaveGateway.supports_manual_capture is False
    assert FlutterwaveGateway.name == "flutterwave"
    async with _gateway() as gateway:
        with pytest.raises(ProviderRejected) as capture:
            await gateway.capture("pay_01", "1", 100)
        with pytest.raises(ProviderRejected):
            await gateway.cancel("pay_01", "1")
    assert capture.value.provider_code == "unsupported_operation"


def test_a_listed_refund_reads_transaction_id_and_comment() -> None:
    listed = {"id": 7, "transaction_id": 42, "comment": "rfd_1", "amount_refunded": Decimal("12.5"),
              "status": "completed", "currency": "NGN"}  # fmt: skip
    refund = FlutterwaveRefund.model_validate(listed)
    assert (refund.tx_id, refund.comments, refund.amount_refunded) == (42, "rfd_1", 1_250)
    both = FlutterwaveRefund.model_validate({**listed, "tx_id": 43, "comments": "rfd_2"})
    assert (both.tx_id, both.comments) == (43, "rfd_2")
