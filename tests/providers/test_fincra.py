"""The Fincra adapter's pure parts: the webhook signature (constant time, webhook secret),
event parsing and keys, and major ↔ minor conversion with Decimal only."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from kro.providers.fincra import (
    FincraPayment,
    InvalidWebhookPayload,
    compute_signature,
    event_key,
    parse_event,
    to_fincra,
    to_minor,
    verify_signature,
)

SECRET = "fincra-webhook-secret"
BODY = (
    b'{"event":"charge.successful","type":"charge","data":{"chargeReference":"fcr-cd-1",'
    b'"merchantReference":"pay-1","amount":101.51,"amountReceived":101.51,"fee":1.51,'
    b'"vat":0.11,"currency":"NGN","status":"success","customer":{"name":"Ada"}}}'
)


def test_signature_is_hex_hmac_sha512_of_the_compact_body() -> None:
    signature = compute_signature(BODY, SECRET)
    assert len(signature) == 128
    assert verify_signature(BODY, signature, SECRET)
    assert verify_signature(BODY, signature.upper(), SECRET)


@pytest.mark.parametrize(
    ("body", "signature", "secret"),
    [
        (BODY, compute_signature(BODY, "another-secret"), SECRET),  # wrong key
        (BODY.replace(b"101.51", b"999.99"), compute_signature(BODY, SECRET), SECRET),  # edited
        (BODY, None, SECRET),
        (BODY, "", SECRET),
        (BODY, compute_signature(BODY, SECRET), ""),  # no secret configured
        (b"not json", compute_signature(BODY, SECRET), SECRET),
    ],
    ids=["wrong-key", "edited-body", "missing", "empty", "no-secret", "garbage"],
)
def test_forged_signatures_are_refused(body: bytes, signature: str | None, secret: str) -> None:
    assert not verify_signature(body, signature, secret)


def test_a_reformatted_body_still_verifies_as_fincra_computes_it() -> None:
    """Fincra signs ``JSON.stringify(payload)``; a body re-indented on the way verifies
    against its compact form (what Fincra's own sample does)."""
    pretty = json.dumps(json.loads(BODY, parse_float=Decimal), indent=2, default=str)
    pretty = pretty.replace('"101.51"', "101.51").replace('"1.51"', "1.51")
    pretty = pretty.replace('"0.11"', "0.11")
    assert verify_signature(pretty.encode(), compute_signature(BODY, SECRET), SECRET)


def test_events_parse_with_decimals_and_key_on_the_charge() -> None:
    event = parse_event(BODY)
    assert event.event == "charge.successful"
    assert event.data["amount"] == Decimal("101.51")
    assert event_key(event) == "charge.successful:fcr-cd-1"
    payment = FincraPayment.model_validate(event.data)
    assert (payment.amount, payment.received, payment.fee, payment.vat) == (10_151, 10_151, 151, 11)
    with pytest.raises(InvalidWebhookPayload):
        parse_event(b'{"data": {}}')


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [(Decimal("101.51"), "NGN", 10_151), (10000, "NGN", 1_000_000), ("0.5", "USD", 50)],
)
def test_major_to_minor(value: object, currency: str, minor: int) -> None:
    assert to_minor(value, currency) == minor
    assert to_minor(str(to_fincra(minor, currency)), currency) == minor


@pytest.mark.parametrize("value", [101.51, True, Decimal("1.001"), "abc", None])
def test_floats_and_fractions_of_a_kobo_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        to_minor(value, "NGN")


def test_minor_to_major_has_no_trailing_zeros() -> None:
    assert str(to_fincra(1_000_000, "NGN")) == "10000"
    assert str(to_fincra(10_150, "NGN")) == "101.5"
