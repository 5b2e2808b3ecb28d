"""Receiving Paystack webhooks: signature on the raw body, parsing, the inbox key."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from kro.providers.paystack import (
    InvalidWebhookPayload,
    PaystackEvent,
    compute_signature,
    event_key,
    parse_event,
    verify_signature,
)

KEY = "sk_test_webhook_key"
BODY = b'{"event":"charge.success","data":{"id":302961,"reference":"qTPrJoy9Bx","amount":10000}}'


def test_signature_is_hmac_sha512_of_the_raw_bytes() -> None:
    expected = hmac.new(KEY.encode(), BODY, hashlib.sha512).hexdigest()
    assert compute_signature(BODY, KEY) == expected
    assert verify_signature(BODY, expected, KEY)
    assert verify_signature(BODY, expected.upper(), KEY)  # hex case does not matter


@pytest.mark.parametrize(
    ("body", "signature", "key"),
    [
        (BODY, None, KEY),
        (BODY, "", KEY),
        (BODY, "deadbeef", KEY),
        (BODY.replace(b"10000", b"10001"), compute_signature(BODY, KEY), KEY),  # tampered
        # Re-serialised JSON is different bytes: verify the body as received.
        (json.dumps(json.loads(BODY)).encode(), compute_signature(BODY, KEY), KEY),
        (BODY, compute_signature(BODY, KEY), "sk_test_other"),
        (BODY, compute_signature(BODY, KEY), ""),
    ],
)
def test_bad_signatures_are_refused(body: bytes, signature: str | None, key: str) -> None:
    assert not verify_signature(body, signature, key)


def test_parse_event() -> None:
    event = parse_event(BODY)
    assert event == PaystackEvent(
        event="charge.success", data={"id": 302961, "reference": "qTPrJoy9Bx", "amount": 10000}
    )


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[]", b'{"data": {}}', b'{"event": 1, "data": {}}']
)
def test_parse_event_refuses_non_events(body: bytes) -> None:
    with pytest.raises(InvalidWebhookPayload) as err:
        parse_event(body)
    assert err.value.http_status == 400


@pytest.mark.parametrize(
    ("event", "data", "key"),
    [
        ("charge.success", {"id": 1, "reference": "ref-1"}, "charge.success:ref-1"),
        ("transfer.success", {"id": 9, "reference": "po_1"}, "transfer.success:po_1"),
        ("transfer.failed", {"id": 9, "reference": "po_1"}, "transfer.failed:po_1"),
        ("refund.processed", {"id": 77, "transaction_reference": "ref-1"}, "refund.processed:77"),
        (
            "refund.processed",
            {"transaction_reference": "ref-1", "refund_reference": "RF"},
            "refund.processed:RF",
        ),
        ("refund.failed", {"transaction_reference": "ref-1"}, "refund.failed:ref-1"),
        ("customeridentification.success", {"id": 5}, "customeridentification.success:5"),
    ],
)
def test_event_key(event: str, data: dict[str, object], key: str) -> None:
    assert event_key(PaystackEvent(event=event, data=data)) == key


def test_event_key_without_reference_or_id_is_a_stable_digest() -> None:
    a = event_key(PaystackEvent(event="x.y", data={"b": 1, "a": 2}))
    b = event_key(PaystackEvent(event="x.y", data={"a": 2, "b": 1}))
    assert a == b and a.startswith("x.y:sha256:")
