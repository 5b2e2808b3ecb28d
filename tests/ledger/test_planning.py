"""Pure planning logic: deltas, limits, idempotency comparison (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kro.ledger.errors import InsufficientFunds, PendingTransferExpired
from kro.ledger.models import LedgerTransfer
from kro.ledger.planning import AccountState, Delta, build_plan, check_limits, check_pending
from kro.ledger.specs import (
    PostPending,
    TransferRequest,
    TransferSpec,
    VoidPending,
    differences,
)

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _account(id: str, *, limited: bool = False, shards: int = 1, credits: int = 0) -> AccountState:
    return AccountState(id, "NGN", limited, False, shards, 0, credits, 0, 0)


def _hold(amount: int = 100, **kw: object) -> LedgerTransfer:
    fields: dict[str, object] = {
        "id": "trf_h",
        "kind": "pending",
        "debit_account_id": "a",
        "credit_account_id": "b",
        "amount": amount,
        "currency": "NGN",
        "status": "pending",
        "amount_posted": 0,
        "expires_at": None,
        "code": "hold",
        "reference": None,
        "metadata_": None,
        "created_at": NOW,
        "pending_id": None,
    }
    return LedgerTransfer(**(fields | kw))


def test_deltas_of_a_mixed_batch() -> None:
    accounts = {
        "a": _account("a", limited=True, credits=1_000),
        "b": _account("b"),
        "h": _account("h", shards=4),
    }
    specs: list[TransferRequest] = [
        TransferSpec("t1", "a", "b", 100, "NGN", "x"),
        TransferSpec("t2", "a", "h", 50, "NGN", "x", pending=True),
        PostPending("t3", "trf_h", amount=40),
    ]
    plan = build_plan(specs, accounts, {"trf_h": _hold()}, now=NOW, batch_id="bat_1")

    assert plan.row_deltas["a"] == Delta(debits_posted=140, debits_pending=50 - 100)
    assert plan.row_deltas["b"] == Delta(credits_posted=140, credits_pending=-100)
    ((key, delta),) = plan.shard_deltas.items()
    assert key[0] == "h" and 0 <= key[1] < 4
    assert delta == Delta(credits_pending=50)
    assert plan.resolutions == {"trf_h": ("posted", 40)}
    assert [r["batch_id"] for r in plan.rows] == ["bat_1"] * 3


def test_limit_is_checked_on_the_net_effect() -> None:
    accounts = {"a": _account("a", limited=True, credits=100)}
    check_limits({"a": Delta(debits_posted=150, credits_posted=50)}, accounts)
    with pytest.raises(InsufficientFunds):
        check_limits({"a": Delta(debits_posted=100, debits_pending=1)}, accounts)


def test_expired_hold() -> None:
    hold = _hold(expires_at=NOW - timedelta(seconds=1))
    with pytest.raises(PendingTransferExpired):
        check_pending(VoidPending("t", "trf_h"), hold, NOW)


def test_differences_compare_what_the_request_pins() -> None:
    stored = _hold(kind="post_pending", status=None, amount_posted=None, pending_id="trf_p")
    assert differences(PostPending("trf_h", "trf_p"), stored) == []
    assert differences(PostPending("trf_h", "trf_p", amount=99), stored) == ["amount"]
    assert differences(VoidPending("trf_h", "trf_p"), stored) == ["kind"]
    spec = TransferSpec("trf_h", "a", "b", 100, "NGN", "hold", pending=True)
    assert differences(spec, _hold()) == []
    assert differences(spec, _hold(expires_at=NOW + timedelta(seconds=5))) == ["timeout"]
