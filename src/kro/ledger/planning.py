"""Turn a validated batch into rows and counter deltas (pure: no I/O, testable alone).

Semantics are TigerBeetle's. For a transfer of ``a`` minor units from D to C:

=================  ========================================================================
normal             D.debits_posted += a, C.credits_posted += a
pending            D.debits_pending += a, C.credits_pending += a
post_pending (p)   pending counters -= hold, posted counters += p (p ≤ hold; the rest is
                   released)
void_pending       pending counters -= hold
=================  ========================================================================

Balance limits are checked on the batch's net effect per account: a batch is atomic, so only
its end state is ever visible (TigerBeetle checks transfer by transfer, which is stricter only
for batches that both credit and debit one flagged account).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from kro.ledger.errors import (
    AccountNotFound,
    CurrencyMismatch,
    ExceedsPendingAmount,
    InsufficientFunds,
    PendingTransferExpired,
    PendingTransferNotFound,
    PendingTransferNotPending,
)
from kro.ledger.models import LedgerTransfer
from kro.ledger.specs import PostPending, TransferRequest, TransferSpec, VoidPending


class AccountState(NamedTuple):
    """What a batch needs to know of an account (counters in minor units, row only).

    A named tuple: built from every account row a batch reads, and about three times
    cheaper to build than a frozen dataclass.
    """

    id: str
    currency: str
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    balance_shards: int
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int


@dataclass(slots=True)
class Delta:
    """Changes to the four counters of one account (or shard), minor units, may be negative."""

    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0

    def counters(self) -> tuple[int, int, int, int]:
        """The four changes in :data:`kro.ledger.store.COUNTERS` order."""
        return (self.debits_posted, self.credits_posted, self.debits_pending, self.credits_pending)

    def params(self) -> dict[str, int]:
        return {
            "d_dp": self.debits_posted,
            "d_cp": self.credits_posted,
            "d_dq": self.debits_pending,
            "d_cq": self.credits_pending,
        }


@dataclass(slots=True)
class Plan:
    """Everything one batch writes.

    ``rows``: new transfer rows (column → value), in request order. ``resolutions``: pending
    id → (new status, amount posted). ``row_deltas``: account id → delta for unsharded
    accounts; ``shard_deltas``: (account id, shard) → delta for sharded ones.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    resolutions: dict[str, tuple[str, int]] = field(default_factory=dict)
    row_deltas: dict[str, Delta] = field(default_factory=dict)
    shard_deltas: dict[tuple[str, int], Delta] = field(default_factory=dict)


def check_pending(
    request: PostPending | VoidPending, pending: LedgerTransfer | None, now: datetime
) -> None:
    """Raise unless ``pending`` is a live hold that ``request`` may resolve."""
    if pending is None:
        raise PendingTransferNotFound(details={"pending_id": request.pending_id})
    details = {"pending_id": pending.id, "kind": pending.kind, "status": pending.status}
    if pending.kind != "pending":
        raise PendingTransferNotPending("The transfer is not a pending transfer.", details=details)
    if pending.status == "expired" or (
        pending.status == "pending" and pending.expires_at is not None and pending.expires_at <= now
    ):
        raise PendingTransferExpired(details=details)
    if pending.status != "pending":
        raise PendingTransferNotPending(
            f"The pending transfer is already {pending.status}.", details=details
        )
    if isinstance(request, PostPending) and (request.amount or 0) > pending.amount:
        raise ExceedsPendingAmount(
            details={
                "pending_id": pending.id,
                "pending_amount": pending.amount,
                "amount": request.amount,
            }
        )


def account_ids_of(
    requests: Sequence[TransferRequest], pendings: Mapping[str, LedgerTransfer]
) -> set[str]:
    """Every account a batch touches."""
    ids: set[str] = set()
    for request in requests:
        if isinstance(request, TransferSpec):
            ids.update((request.debit_account_id, request.credit_account_id))
        else:
            pending = pendings[request.pending_id]
            ids.update((pending.debit_account_id, pending.credit_account_id))
    return ids


def build_plan(
    requests: Sequence[TransferRequest],
    accounts: Mapping[str, AccountState],
    pendings: Mapping[str, LedgerTransfer],
    *,
    now: datetime,
    batch_id: str,
) -> Plan:
    """Rows and deltas for ``requests`` (all new); raises on a missing account, a currency
    mismatch or a balance limit (:class:`InsufficientFunds`, judged on the rows read)."""
    plan = Plan()
    shard_key = zlib.crc32(requests[0].id.encode())
    for request in requests:
        if isinstance(request, TransferSpec):
            row = _spec_row(request, accounts, now, batch_id)
            amount = request.amount
            posted, pending = (0, amount) if request.pending else (amount, 0)
        else:
            hold = pendings[request.pending_id]
            row = _resolution_row(request, hold, now, batch_id)
            posting = row["kind"] == "post_pending"
            posted, pending = (row["amount"] if posting else 0), -hold.amount
            plan.resolutions[hold.id] = ("posted", posted) if posting else ("voided", 0)
        plan.rows.append(row)
        debit = _delta(plan, accounts[row["debit_account_id"]], shard_key)
        credit = _delta(plan, accounts[row["credit_account_id"]], shard_key)
        debit.debits_posted += posted
        debit.debits_pending += pending
        credit.credits_posted += posted
        credit.credits_pending += pending
    check_limits(plan.row_deltas, accounts)
    return plan


def _spec_row(
    spec: TransferSpec, accounts: Mapping[str, AccountState], now: datetime, batch_id: str
) -> dict[str, Any]:
    for account_id in (spec.debit_account_id, spec.credit_account_id):
        account = accounts.get(account_id)
        if account is None:
            raise AccountNotFound(details={"account_id": account_id, "transfer_id": spec.id})
        if account.currency != spec.currency:
            raise CurrencyMismatch(
                details={
                    "transfer_id": spec.id,
                    "currency": spec.currency,
                    "account_id": account_id,
                    "account_currency": account.currency,
                }
            )
    return {
        "id": spec.id,
        "kind": "pending" if spec.pending else "normal",
        "debit_account_id": spec.debit_account_id,
        "credit_account_id": spec.credit_account_id,
        "amount": spec.amount,
        "currency": spec.currency,
        "pending_id": None,
        "status": "pending" if spec.pending else None,
        "amount_posted": 0 if spec.pending else None,
        "expires_at": now + spec.timeout if spec.timeout is not None else None,
        "code": spec.code,
        "reference": spec.reference,
        "batch_id": batch_id,
        "metadata": spec.metadata,
        "created_at": now,
    }


def _resolution_row(
    request: PostPending | VoidPending, pending: LedgerTransfer, now: datetime, batch_id: str
) -> dict[str, Any]:
    posting = isinstance(request, PostPending)
    amount = (request.amount if isinstance(request, PostPending) else None) or pending.amount
    return {
        "id": request.id,
        "kind": "post_pending" if posting else "void_pending",
        "debit_account_id": pending.debit_account_id,
        "credit_account_id": pending.credit_account_id,
        "amount": amount,
        "currency": pending.currency,
        "pending_id": pending.id,
        "status": None,
        "amount_posted": None,
        "expires_at": None,
        "code": request.code or pending.code,
        "reference": request.reference if request.reference is not None else pending.reference,
        "batch_id": batch_id,
        "metadata": request.metadata,
        "created_at": now,
    }


def _delta(plan: Plan, account: AccountState, shard_key: int) -> Delta:
    if account.balance_shards <= 1:
        delta = plan.row_deltas.get(account.id)
        if delta is None:
            delta = plan.row_deltas[account.id] = Delta()
        return delta
    # One shard per (batch, account): a batch holds one extra row lock per hot account.
    key = (account.id, shard_key % account.balance_shards)
    delta = plan.shard_deltas.get(key)
    if delta is None:
        delta = plan.shard_deltas[key] = Delta()
    return delta


def check_limits(deltas: Mapping[str, Delta], accounts: Mapping[str, AccountState]) -> None:
    """Raise :class:`InsufficientFunds` if a flagged account would pass its limit."""
    for account_id in sorted(deltas):
        account, delta = accounts[account_id], deltas[account_id]
        if account.debits_must_not_exceed_credits:
            limit = account.credits_posted + delta.credits_posted
            used = account.debits_posted + account.debits_pending
            change = delta.debits_posted + delta.debits_pending
            flag = "debits_must_not_exceed_credits"
        elif account.credits_must_not_exceed_debits:
            limit = account.debits_posted + delta.debits_posted
            used = account.credits_posted + account.credits_pending
            change = delta.credits_posted + delta.credits_pending
            flag = "credits_must_not_exceed_debits"
        else:
            continue
        if used + change > limit:
            raise InsufficientFunds(
                details={
                    "account_id": account_id,
                    "limit": flag,
                    "available": limit - used,
                    "required": change,
                }
            )


def plan_release(
    holds: Sequence[tuple[str, str, int]], accounts: Mapping[str, AccountState], shard_key: int
) -> Plan:
    """Deltas releasing expired holds, given as (debit account, credit account, amount)."""
    plan = Plan()
    for debit_id, credit_id, amount in holds:
        _delta(plan, accounts[debit_id], shard_key).debits_pending -= amount
        _delta(plan, accounts[credit_id], shard_key).credits_pending -= amount
    return plan
