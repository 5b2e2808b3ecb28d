"""``kro demo gateway`` against the whole platform (API, worker, sandboxes) on a real port, on
each configured database backend: it must exit 0, and its checks must hold."""

from __future__ import annotations

import time

import httpx
import pytest

from kro.demo import gateway
from tests.support.platform import run_platform


def test_the_gateway_demo_succeeds(
    db_url: str, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox_db = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sandbox')}/sandbox.db"
    # The embedded default's limits (rate limit, refund poll, breaker) are left as they are:
    # the demo must pass under them, as it does against ``make run``.
    with run_platform(db_url, sandbox_db) as platform:
        started = time.monotonic()
        assert gateway.run(platform.base_url) == 0, capsys.readouterr().out
        assert time.monotonic() - started < 45
        faults = httpx.get(f"{platform.base_url}/sandbox/paystack/_sandbox/faults").json()
        assert faults["faults"]["down"] is False  # the demo puts Paystack back up
    out = capsys.readouterr().out
    assert "paystack: unavailable → flutterwave: accepted" in out
    assert "Gateway demo succeeded" in out


def test_the_receiver_refuses_what_it_cannot_verify() -> None:
    receiver = gateway.Receiver(secret="whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMw==")
    with receiver.running():
        r = httpx.post(receiver.url, content=b'{"type":"payment.completed"}', timeout=5)
        assert r.status_code == 400
        r = httpx.post(
            receiver.url,
            content=b"{}",
            headers={"webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": "x"},
            timeout=5,
        )
        assert r.status_code == 400
    assert (receiver.invalid, receiver.verified) == (2, {})


def test_naira_is_exact() -> None:
    assert gateway.naira(1_500_000) == "₦15,000.00"
    assert gateway.naira(4_480) == "₦44.80"
    assert gateway.naira(-5) == "-₦0.05"
    assert gateway.naira(10**17 + 1) == "₦1,000,000,000,000,000.01"  # no float rounding
