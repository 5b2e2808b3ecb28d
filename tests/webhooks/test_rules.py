"""Pure rules, no database: the retry schedule with jitter, Retry-After, body and signature,
event types and URLs."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from standardwebhooks import Webhook

from kro.settings import Settings
from kro.webhooks import delivery
from kro.webhooks.delivery import (
    MAX_ATTEMPTS,
    RETRY_AFTER_CAP,
    RETRY_SCHEDULE,
    next_attempt_delay,
    parse_retry_after,
    scheduled_delay,
)
from kro.webhooks.errors import InvalidEventType, InvalidWebhookUrl
from kro.webhooks.policy import EVENT_TYPES, check_events, check_url, new_secret

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_schedule_is_standard_webhooks_example() -> None:
    assert [d.total_seconds() for d in RETRY_SCHEDULE] == [
        0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400,
    ]  # fmt: skip
    assert MAX_ATTEMPTS == 10


@pytest.mark.parametrize("made", range(MAX_ATTEMPTS))
def test_jitter_stays_within_ten_percent(made: int) -> None:
    base = RETRY_SCHEDULE[made]
    assert scheduled_delay(made, rand=lambda: 0.0) == base * 0.9
    assert scheduled_delay(made, rand=lambda: 1.0) == base * 1.1
    rng = random.Random(made)
    for _ in range(200):
        got = scheduled_delay(made, rand=rng.random)
        assert got is not None and base * 0.9 <= got <= base * 1.1


def test_no_delay_after_the_last_attempt() -> None:
    assert scheduled_delay(MAX_ATTEMPTS) is None
    assert next_attempt_delay(MAX_ATTEMPTS, 429, "10", NOW) is None


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert parse_retry_after("120", NOW) == timedelta(seconds=120)
    later = format_datetime(NOW + timedelta(minutes=10), usegmt=True)
    assert parse_retry_after(later, NOW) == timedelta(minutes=10)
    past = format_datetime(NOW - timedelta(minutes=10), usegmt=True)
    assert parse_retry_after(past, NOW) == timedelta(0)
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_retry_after_is_honoured_on_throttling_statuses_only_and_capped() -> None:
    mid = lambda: 0.5  # noqa: E731 - no jitter
    assert next_attempt_delay(1, 429, "600", NOW, rand=mid) == timedelta(seconds=600)
    assert next_attempt_delay(1, 503, "600", NOW, rand=mid) == timedelta(seconds=600)
    # The schedule wins when it is later than Retry-After.
    assert next_attempt_delay(3, 502, "60", NOW, rand=mid) == timedelta(minutes=30)
    # A 500's Retry-After is ignored; an absurd one is capped at 24 h.
    assert next_attempt_delay(1, 500, "600", NOW, rand=mid) == timedelta(seconds=5)
    assert next_attempt_delay(1, 504, str(10**9), NOW, rand=mid) == RETRY_AFTER_CAP


def test_the_body_is_compact_json_and_the_signature_verifies_with_the_library() -> None:
    body = delivery.build_body("payment.completed", NOW, {"id": "pay_1", "amount": 500_000})
    assert json.loads(body) == {
        "type": "payment.completed",
        "timestamp": "2026-03-01T12:00:00Z",
        "data": {"id": "pay_1", "amount": 500_000},
    }
    assert ": " not in body
    old, new = new_secret(), new_secret()
    now = datetime.now(UTC)
    headers = delivery.headers("msg_1", now, body, (new, old))
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["type"] == "payment.completed"


def test_secrets_are_whsec_base64_of_32_bytes() -> None:
    import base64

    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret


def test_event_subscriptions() -> None:
    assert check_events(["payment.completed", "refund.failed", "payment.completed"]) == [
        "payment.completed",
        "refund.failed",
    ]
    assert check_events(["payment.failed", "*"]) == ["*"]
    assert set(EVENT_TYPES) >= {"payment.requires_action", "payment.captured", "refund.completed"}
    with pytest.raises(InvalidEventType) as err:
        check_events(["payment.completed", "payment.exploded"])
    assert err.value.details["unknown"] == ["payment.exploded"]
    with pytest.raises(InvalidEventType):
        check_events(["webhook.test"])  # sent by the test endpoint only
    with pytest.raises(InvalidEventType):
        check_events([])


@pytest.mark.parametrize(
    ("url", "mode", "ok"),
    [
        ("http://127.0.0.1:9000/hook", "test", True),  # allowed outside production
        ("http://169.254.169.254/latest", "test", True),
        ("https://shop.example.com/hooks/kro", "test", True),
        ("https://shop.example.com/hooks/kro", "live", True),
        ("http://shop.example.com/hooks/kro", "live", False),
        ("https://127.0.0.1/hook", "live", False),
        ("https://10.1.2.3/hook", "live", False),
        ("https://169.254.169.254/latest", "live", False),
        ("https://localhost/hook", "live", False),
        ("https://[::1]/hook", "live", False),
        ("ftp://shop.example.com/x", "test", False),
        ("shop.example.com/hook", "test", False),
        ("https://", "test", False),
    ],
)
def test_urls(url: str, mode: str, ok: bool) -> None:
    if ok:
        assert check_url(url, mode, allow_internal=True) == url
    else:
        with pytest.raises(InvalidWebhookUrl):
            check_url(url, mode, allow_internal=True)


KEYRING = "k1:" + base64.b64encode(b"k" * 32).decode()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/hook", "http://169.254.169.254/x"])
def test_private_hosts_are_refused_in_test_mode_too_in_production(url: str) -> None:
    with pytest.raises(InvalidWebhookUrl):
        check_url(url, "test", allow_internal=False)
    assert Settings(env="production", jwt_secret="j" * 40, admin_jwt_secret="a" * 40,
                    admin_password="p" * 20, secrets_keyring=KEYRING, web_secret="w" * 40,
                    dojah_secret_key="d" * 20
                    ).webhook_internal_test_urls is False  # fmt: skip
