"""Posting a batch and expiring holds: the ledger's write path (synchronous; see below).

:mod:`kro.ledger.service` runs these functions through ``AsyncSession.run_sync`` so that a
batch's five to eight statements cost one greenlet hop instead of one each; every statement
is a pre-built Core statement on the session's connection (:mod:`kro.ledger.store`). The
ORM is only used to hand the new transfers back as session objects.

A batch runs in a savepoint and may be attempted several times:

1. the first attempt assumes every id is new; the INSERT fails on an existing id;
2. after any IntegrityError (an existing id, a hold resolved concurrently, a CHECK limit hit
   by a concurrent writer) or a pre-check InsufficientFunds that may come from a retry, the
   savepoint is rolled back and the batch re-run *carefully*: existing ids are looked up
   first (retries return them; different fields raise TransferExists) and the balances are
   read afresh.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from kro.kit.clock import utcnow
from kro.kit.ids import new_id
from kro.ledger import store
from kro.ledger.errors import InsufficientFunds, LedgerBusy, TransferExists
from kro.ledger.models import LedgerAccount, LedgerTransfer
from kro.ledger.planning import Plan, account_ids_of, build_plan, check_pending, plan_release
from kro.ledger.specs import TransferRequest, TransferSpec, differences

ATTEMPTS = 5


class _Raced(Exception):
    """Another writer changed a row this attempt relied on; run the batch again, carefully."""


@dataclass(slots=True)
class _Outcome:
    existing: dict[str, LedgerTransfer]
    pendings: dict[str, LedgerTransfer]
    plan: Plan | None


def post_batch(session: Session, requests: Sequence[TransferRequest]) -> list[LedgerTransfer]:
    """Apply a validated batch atomically; see :func:`kro.ledger.service.create_transfers`."""
    conn = session.connection()
    # Post/void batches read their holds anyway, so they look up existing ids at once.
    careful = any(not isinstance(r, TransferSpec) for r in requests)
    last: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            with store.savepoint(conn):
                outcome = _attempt(session, requests, careful=careful)
        except (IntegrityError, _Raced) as exc:
            last, careful = exc, True
            continue
        except InsufficientFunds:
            if careful:
                raise
            careful = True  # maybe a retry of a batch that already spent the funds
            continue
        return _adopt(session, requests, outcome)
    raise LedgerBusy(details={"attempts": ATTEMPTS}) from last


def _attempt(session: Session, requests: Sequence[TransferRequest], *, careful: bool) -> _Outcome:
    conn, now = session.connection(), utcnow()
    existing: dict[str, LedgerTransfer] = {}
    pendings: dict[str, LedgerTransfer] = {}
    if careful:
        existing, pendings = _load_known(session, requests)
    todo = [r for r in requests if r.id not in existing]
    if not todo:
        return _Outcome(existing, pendings, None)
    for request in todo:
        if not isinstance(request, TransferSpec):
            check_pending(request, pendings.get(request.pending_id), now)
    accounts = store.load_accounts(conn, account_ids_of(todo, pendings))
    plan = build_plan(todo, accounts, pendings, now=now, batch_id=new_id("bat"))
    if plan.resolutions and not store.resolve_pendings(conn, plan.resolutions):
        raise _Raced
    store.insert_transfers(conn, plan.rows)
    store.apply_deltas(conn, plan.row_deltas, plan.shard_deltas)
    return _Outcome(existing, pendings, plan)


def _load_known(
    session: Session, requests: Sequence[TransferRequest]
) -> tuple[dict[str, LedgerTransfer], dict[str, LedgerTransfer]]:
    """Transfers already stored under the batch's ids, and the holds it resolves."""
    refs = {r.pending_id for r in requests if not isinstance(r, TransferSpec)}
    stmt = select(LedgerTransfer).where(LedgerTransfer.id.in_({r.id for r in requests} | refs))
    result = session.execute(stmt.execution_options(populate_existing=True))
    found = {t.id: t for t in result.scalars()}
    existing: dict[str, LedgerTransfer] = {}
    for request in requests:
        stored = found.get(request.id)
        if stored is None:
            continue
        clashes = differences(request, stored)
        if clashes:
            raise TransferExists(details={"id": request.id, "fields": clashes})
        existing[request.id] = stored
    return existing, {i: found[i] for i in refs if i in found}


def _adopt(
    session: Session, requests: Sequence[TransferRequest], outcome: _Outcome
) -> list[LedgerTransfer]:
    """After the savepoint is released: make the new rows objects of the session (without
    SQL) and bring objects the session already holds (holds, accounts) up to date."""
    created: dict[str, LedgerTransfer] = {}
    plan = outcome.plan
    if plan is not None:
        for row in plan.rows:
            transfer = LedgerTransfer(**{_attr(k): v for k, v in row.items()})
            make_transient_to_detached(transfer)
            session.add(transfer)
            created[transfer.id] = transfer
        for pending_id, (status, posted) in plan.resolutions.items():
            set_committed_value(outcome.pendings[pending_id], "status", status)
            set_committed_value(outcome.pendings[pending_id], "amount_posted", posted)
        refresh_held_accounts(session, set(plan.row_deltas) | {a for a, _ in plan.shard_deltas})
    return [outcome.existing.get(r.id) or created[r.id] for r in requests]


def _attr(column: str) -> str:
    return "metadata_" if column == "metadata" else column


def refresh_held_accounts(session: Session, account_ids: Collection[str]) -> None:
    """Reload counters of account objects the session holds, so they do not go stale."""
    held = [i for i in account_ids if identity_key(LedgerAccount, i) in session.identity_map]
    if held:
        stmt = select(LedgerAccount).where(LedgerAccount.id.in_(held))
        session.execute(stmt.execution_options(populate_existing=True)).scalars().all()


def expire_holds(session: Session, now: datetime, limit: int) -> int:
    """Expire due holds and release their counters; see :func:`service.expire_pending`."""
    conn = session.connection()
    expired = store.expire_due(conn, now, limit)
    if not expired:
        return 0
    ids = {a for _, d, c, _ in expired for a in (d, c)}
    accounts = store.load_accounts(conn, ids)
    holds = [(d, c, amount) for _, d, c, amount in expired]
    plan = plan_release(holds, accounts, shard_key=zlib.crc32(expired[0][0].encode()))
    store.apply_deltas(conn, plan.row_deltas, plan.shard_deltas)
    for transfer_id, *_ in expired:
        held = session.identity_map.get(identity_key(LedgerTransfer, transfer_id))
        if isinstance(held, LedgerTransfer):
            set_committed_value(held, "status", "expired")
    refresh_held_accounts(session, ids)
    return len(expired)
