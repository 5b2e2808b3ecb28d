"""Webhooks from the Paystack sandbox: signature, delivery, retries on Paystack's schedule,
duplicates via resend, and the control endpoints that replay events."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kro.kit.clock import clock
from kro.providers.paystack import PaystackClient, event_key, parse_event, verify_signature
from kro.sandbox.paystack import create_app
from tests.sandbox.paystack_fixtures import (
    OTHER_KEY,
    SECRET_KEY,
    Receiver,
    SandboxServer,
    eventually,
    pay,
    sandbox_config,
    tx_ref,
)
from tests.support.server import serve_in_thread


@contextmanager
def _start(tmp_path: Path, **overrides: Any) -> Iterator[SandboxServer]:
    """A sandbox and a receiver of one test alone (failures injected there affect nobody)."""
    rec = Receiver()
    with serve_in_thread(lambda _p: rec.app()) as hook_url:
        rec.url = f"{hook_url}/hook"
        holder: dict[str, Any] = {}

        def factory(port: int) -> Any:
            hook = overrides.pop("webhook_url", rec.url)
            holder["config"] = sandbox_config(tmp_path / "own.db", port, hook, **overrides)
            return create_app(holder["config"])

        with serve_in_thread(factory) as url:
            yield SandboxServer(url, holder["config"], rec)


@pytest.fixture
def own(tmp_path: Path) -> Iterator[SandboxServer]:
    with _start(tmp_path) as server:
        yield server


async def _paid(server: SandboxServer, key: str = SECRET_KEY, amount: int = 500_000) -> str:
    ref = tx_ref()
    async with PaystackClient(server.url, key) as client:
        init = await client.initialize_transaction("hook@example.com", amount, "NGN", ref)
    await pay(server, init.authorization_url)
    return ref


async def _deliveries(server: SandboxServer, **params: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=server.url) as client:
        body = (await client.get("/_sandbox/webhooks", params=params)).json()
    assert body["status"] is True
    rows: list[dict[str, Any]] = body["data"]
    return rows


async def test_charge_success_is_signed_over_the_raw_body(sandbox: SandboxServer) -> None:
    ref = await _paid(sandbox)
    [hook] = await eventually(lambda: sandbox.receiver.for_reference(ref, "charge.success"))
    signature = hook.headers["x-paystack-signature"]
    assert signature == hmac.new(SECRET_KEY.encode(), hook.body, hashlib.sha512).hexdigest()
    assert verify_signature(hook.body, signature, SECRET_KEY)
    assert not verify_signature(hook.body, signature, OTHER_KEY)
    assert hook.headers["content-type"] == "application/json"
    event = parse_event(hook.body)
    assert event.event == "charge.success" and event_key(event) == f"charge.success:{ref}"
    data = event.data
    assert (data["status"], data["amount"], data["fees"], data["currency"]) == (
        "success",
        500_000,
        17_500,
        "NGN",
    )
    assert data["customer"]["email"] == "hook@example.com" and data["paid_at"].endswith("Z")


async def test_each_integration_signs_with_its_own_key(sandbox: SandboxServer) -> None:
    ref = await _paid(sandbox, key=OTHER_KEY)
    [hook] = await eventually(lambda: sandbox.receiver.for_reference(ref, "charge.success"))
    assert verify_signature(hook.body, hook.headers["x-paystack-signature"], OTHER_KEY)


async def test_retried_after_a_non_2xx_answer(own: SandboxServer) -> None:
    own.receiver.fail_next = 1
    ref = await _paid(own)
    hooks = await eventually(
        lambda: [h for h in own.receiver.for_reference(ref) if h.answered == 200]
    )
    tries = own.receiver.for_reference(ref, "charge.success")
    assert [t.answered for t in tries] == [500, 200]
    assert tries[0].body == tries[1].body == hooks[0].body  # the same bytes, re-signed alike
    [row] = await _deliveries(own, reference=ref)
    assert row["status"] == "delivered" and row["attempt_count"] == 2
    assert [a["status_code"] for a in row["attempts"]] == [500, 200]


async def test_gives_up_after_the_schedule(own: SandboxServer) -> None:
    own.receiver.fail_next = 10
    ref = await _paid(own)

    async def failed() -> bool:
        rows = await _deliveries(own, reference=ref)
        return bool(rows) and rows[0]["status"] == "failed"

    await eventually(failed)
    assert len(own.receiver.for_reference(ref)) == 3  # first try + 2 retries (schedule length)


async def test_retry_waits_for_the_clock(tmp_path: Path) -> None:
    """With Paystack's test schedule (hourly), the retry is due only when the clock says so."""
    with _start(tmp_path, webhook_retry_schedule=(3600.0,) * 10) as server:
        server.receiver.fail_next = 1
        ref = await _paid(server)
        await eventually(lambda: server.receiver.for_reference(ref))
        async with httpx.AsyncClient(base_url=server.url) as client:
            await client.post("/_sandbox/tick")
        assert len(server.receiver.for_reference(ref)) == 1
        [row] = await _deliveries(server, reference=ref)
        assert row["status"] == "pending" and row["attempt_count"] == 1
        clock.advance(timedelta(hours=1, seconds=1))
        await eventually(lambda: len(server.receiver.for_reference(ref)) == 2)
        assert server.receiver.for_reference(ref)[-1].answered == 200


async def test_resend_makes_a_duplicate(sandbox: SandboxServer) -> None:
    ref = await _paid(sandbox)
    await eventually(lambda: sandbox.receiver.for_reference(ref, "charge.success"))
    [row] = await _deliveries(sandbox, reference=ref, event="charge.success")
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        copy = (await client.post(f"/_sandbox/webhooks/{row['id']}/resend")).json()["data"]
        missing = await client.post("/_sandbox/webhooks/999999/resend")
    assert copy["resent_from"] == row["id"] and missing.status_code == 404
    hooks = await eventually(
        lambda: len(sandbox.receiver.for_reference(ref, "charge.success")) == 2
    )
    assert hooks
    first, second = sandbox.receiver.for_reference(ref, "charge.success")
    assert first.body == second.body
    assert event_key(parse_event(first.body)) == event_key(parse_event(second.body))


async def test_replay_charge_success_for_any_reference(sandbox: SandboxServer) -> None:
    ref = await _paid(sandbox, amount=100_000)
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        wrong = await client.post(
            "/_sandbox/webhooks/charge-success", json={"reference": ref, "amount": 1}
        )
        ghost = await client.post(
            "/_sandbox/webhooks/charge-success", json={"reference": "ghost-ref-1"}
        )
        custom = await client.post(
            "/_sandbox/webhooks",
            json={"event": "charge.dispute.create", "data": {"reference": "dispute-ref-1"}},
        )
    assert wrong.json()["data"]["payload"]["data"]["amount"] == 1
    assert ghost.status_code == custom.status_code == 200
    await eventually(lambda: len(sandbox.receiver.for_reference(ref, "charge.success")) == 2)
    amounts = sorted(
        h.payload["data"]["amount"] for h in sandbox.receiver.for_reference(ref, "charge.success")
    )
    assert amounts == [1, 100_000]
    [g] = await eventually(lambda: sandbox.receiver.for_reference("ghost-ref-1"))
    assert verify_signature(g.body, g.headers["x-paystack-signature"], SECRET_KEY)
    await eventually(
        lambda: sandbox.receiver.for_reference("dispute-ref-1", "charge.dispute.create")
    )


async def test_no_webhook_url_keeps_deliveries_queued(tmp_path: Path) -> None:
    with _start(tmp_path, webhook_url="") as server:
        ref = await _paid(server)
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert (await client.post("/_sandbox/tick")).json()["data"]["webhooks_sent"] == 0
        [row] = await _deliveries(server, reference=ref)
        assert row["status"] == "pending" and row["payload"]["event"] == "charge.success"


async def test_control_can_require_the_secret_key(tmp_path: Path) -> None:
    with _start(tmp_path, control_requires_key=True) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            anonymous = await client.get("/_sandbox/webhooks")
            keyed = await client.get(
                "/_sandbox/webhooks", headers={"Authorization": f"Bearer {SECRET_KEY}"}
            )
        assert anonymous.status_code == 401 and anonymous.json()["message"] == "Invalid key"
        assert keyed.status_code == 200
