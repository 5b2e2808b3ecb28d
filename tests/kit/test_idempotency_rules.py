"""kro.kit.idempotency: the pure rules (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kro.kit.errors import Unprocessable
from kro.kit.idempotency import StoredAttempt, Verdict, fingerprint, judge, validate_key

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LOCK = timedelta(seconds=120)


def stored(
    status: str = "done", fp: str = "a", locked: int = 0, expires: int = 3600
) -> StoredAttempt:
    return StoredAttempt(
        fp, status, NOW - timedelta(seconds=locked), NOW + timedelta(seconds=expires)
    )


@pytest.mark.parametrize(
    ("attempt", "fp", "verdict"),
    [
        (stored("done"), "a", Verdict.REPLAY),
        (stored("running"), "a", Verdict.IN_USE),
        (stored("done"), "b", Verdict.REUSED),
        (stored("running"), "b", Verdict.REUSED),
        (stored("running", locked=120), "a", Verdict.TAKE_OVER),
        (stored("done", expires=0), "b", Verdict.TAKE_OVER),
    ],
)
def test_judge(attempt: StoredAttempt, fp: str, verdict: Verdict) -> None:
    assert judge(attempt, fp, now=NOW, lock_timeout=LOCK) is verdict


def test_fingerprint_covers_method_path_query_and_body() -> None:
    base = fingerprint("POST", "/v1/tenants", "", b'{"name":"A"}')
    assert base == fingerprint("post", "/v1/tenants", "", b'{"name":"A"}')
    others = {
        fingerprint("PUT", "/v1/tenants", "", b'{"name":"A"}'),
        fingerprint("POST", "/v1/tenant", "", b'{"name":"A"}'),
        fingerprint("POST", "/v1/tenants", "x=1", b'{"name":"A"}'),
        fingerprint("POST", "/v1/tenants", "", b'{"name":"B"}'),
    }
    assert base not in others and len(others) == 4


@pytest.mark.parametrize("value", ["", "x" * 256, "naïve", "tab\tkey"])
def test_bad_keys_are_refused(value: str) -> None:
    with pytest.raises(Unprocessable):
        validate_key(value)
    assert validate_key("order-123_ok") == "order-123_ok"
