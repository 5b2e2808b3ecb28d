"""Posting a batch and expiring holds: the ledger's write path.

The hot path issues pre-built statements through a store (:mod:`kro.ledger.store`) and no
ORM unit of work; the ORM only hands the new transfers back as session objects.

A batch runs in a savepoint and may be attempted several times:

1. the first attempt assumes every id is new; the INSERT fails on an id that exists;
2. after a :class:`~kro.ledger.store.WriteConflict` (an existing id, a hold resolved
   concurrently, a CHECK limit crossed because of a concurrent writer), or an
   InsufficientFunds pre-check that may come from a retry of a batch that already spent the
   funds, the savepoint is rolled back and the batch re-run *carefully*: existing ids are
   looked up first (retries return them; different fields raise TransferExists) and balances
   are read afresh.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, configure_mappers
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.identity import IdentityMap

from kro.kit.clock import utcnow
from kro.kit.ids import new_id
from kro.ledger.errors import InsufficientFunds, LedgerBusy, TransferExists
from kro.ledger.models import LedgerAccount, LedgerTransfer
from kro.ledger.planning import Plan, account_ids_of, build_plan, check_pending, plan_release
from kro.ledger.specs import TransferRequest, TransferSpec, differences
from kro.ledger.store import CoreStore, WriteConflict, store_for

ATTEMPTS = 5


@dataclass(slots=True)
class _Outcome:
    existing: dict[str, LedgerTransfer]
    pendings: dict[str, LedgerTransfer]
    plan: Plan | None


async def post_batch(
    session: AsyncSession, requests: Sequence[TransferRequest]
) -> list[LedgerTransfer]:
    """Apply a validated batch atomically; see :func:`kro.ledger.service.create_transfers`."""
    store = await store_for(session)
    # Post/void batches read their holds anyway, so they look up existing ids at once.
    careful = not all(isinstance(r, TransferSpec) for r in requests)
    last: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            async with store.savepoint():
                outcome = await _attempt(session, store, requests, careful=careful)
        except WriteConflict as exc:
            last, careful = exc, True
            continue
        except InsufficientFunds:
            if careful:
                raise
            careful = True  # maybe a retry of a batch that already spent the funds
            continue
        return await _adopt(session, requests, outcome)
    raise LedgerBusy(details={"attempts": ATTEMPTS}) from last


async def _attempt(
    session: AsyncSession, store: CoreStore, requests: Sequence[TransferRequest], *, careful: bool
) -> _Outcome:
    now = utcnow()
    existing: dict[str, LedgerTransfer] = {}
    pendings: dict[str, LedgerTransfer] = {}
    todo = requests
    if careful:  # the first attempt of a batch of new transfers skips this
        existing, pendings = await _load_known(session, requests)
        todo = [r for r in requests if r.id not in existing]
        if not todo:
            return _Outcome(existing, pendings, None)
        for request in todo:
            if not isinstance(request, TransferSpec):
                check_pending(request, pendings.get(request.pending_id), now)
    accounts = await store.load_accounts(account_ids_of(todo, pendings))
    plan = build_plan(todo, accounts, pendings, now=now, batch_id=new_id("bat"))
    if plan.resolutions:
        await store.resolve_pendings(plan.resolutions)
    await store.insert_transfers(plan.rows)
    await store.apply_deltas(plan.row_deltas, plan.shard_deltas)
    return _Outcome(existing, pendings, plan)


async def _load_known(
    session: AsyncSession, requests: Sequence[TransferRequest]
) -> tuple[dict[str, LedgerTransfer], dict[str, LedgerTransfer]]:
    """Transfers already stored under the batch's ids, and the holds it resolves."""
    refs = {r.pending_id for r in requests if not isinstance(r, TransferSpec)}
    stmt = select(LedgerTransfer).where(LedgerTransfer.id.in_({r.id for r in requests} | refs))
    result = await session.execute(stmt.execution_options(populate_existing=True))
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


async def _adopt(
    session: AsyncSession, requests: Sequence[TransferRequest], outcome: _Outcome
) -> list[LedgerTransfer]:
    """After the savepoint is released: make the new rows objects of the session (without
    SQL) and bring objects the session already holds (holds, accounts) up to date."""
    plan = outcome.plan
    if plan is None:
        return [outcome.existing[r.id] for r in requests]
    created = _attach_as_loaded(session.sync_session, plan.rows)
    for pending_id, (status, posted) in plan.resolutions.items():
        set_committed_value(outcome.pendings[pending_id], "status", status)
        set_committed_value(outcome.pendings[pending_id], "amount_posted", posted)
    if len(session.identity_map) > len(created):  # it may hold some of the accounts
        touched = plan.row_deltas.keys() | {a for a, _ in plan.shard_deltas}
        held = _held_accounts(session, touched)
        if held:
            await refresh_accounts(session, held)
    existing = outcome.existing
    if not existing:
        return created  # plan.rows follows the requests
    new = {t.id: t for t in created}
    return [existing.get(r.id) or new[r.id] for r in requests]


_TRANSFER_MAPPER = LedgerTransfer.__mapper__
_ACCOUNT_MAPPER = LedgerAccount.__mapper__


def _attach_as_loaded(session: Session, rows: Sequence[dict[str, Any]]) -> list[LedgerTransfer]:
    """Objects of ``session`` for rows just inserted, in order, as if a query had loaded them.

    Built without the constructor (which fires an event per attribute: the largest cost of a
    batch of ten in profiles) and registered the way SQLAlchemy's loader registers a row it
    has not seen (identity map entry and session id) rather than through ``Session.add()``,
    whose cascade walk and attach events cost about 8 µs a transfer. The ids are new (the
    INSERT just succeeded), so the identity map cannot hold them yet.
    """
    if not _TRANSFER_MAPPER.configured:
        configure_mappers()  # new_instance() skips the constructor's first-use configuration
    new_instance = _TRANSFER_MAPPER.class_manager.new_instance
    key_of = _TRANSFER_MAPPER.identity_key_from_primary_key
    identity_map, session_id = session.identity_map, session.hash_key
    transfers: list[LedgerTransfer] = []
    for row in rows:
        transfer: LedgerTransfer = new_instance()
        values = transfer.__dict__  # the instance dict: as loaded, no change recorded
        values.update(row)
        values["metadata_"] = values.pop("metadata")
        state = instance_state(transfer)
        state.key = key = key_of((row["id"],))
        if LOADER_ENTRY_POINT:
            state.session_id = session_id
            identity_map._add_unpresent(state, key)
        transfers.append(transfer)
    if not LOADER_ENTRY_POINT:
        session.add_all(transfers)
    return transfers


LOADER_ENTRY_POINT = callable(getattr(IdentityMap, "_add_unpresent", None))
"""True if the identity map has the loader's entry point (SQLAlchemy 2.0 and 2.1); else new
transfers are attached with ``Session.add()`` (``tests/ledger/test_store.py`` notices)."""


def _held_accounts(session: AsyncSession, account_ids: Collection[str]) -> list[str]:
    """Those of ``account_ids`` whose account object the session holds."""
    identity_map, key = session.identity_map, _ACCOUNT_MAPPER.identity_key_from_primary_key
    return [i for i in account_ids if key((i,)) in identity_map]


async def refresh_accounts(session: AsyncSession, account_ids: Collection[str]) -> None:
    """Reload the counters of these accounts' objects in the session (they would go stale)."""
    stmt = select(LedgerAccount).where(LedgerAccount.id.in_(account_ids))
    await session.execute(stmt.execution_options(populate_existing=True))


async def refresh_held_accounts(session: AsyncSession, account_ids: Collection[str]) -> None:
    """Reload counters of account objects the session holds, so they do not go stale."""
    held = _held_accounts(session, account_ids)
    if held:
        await refresh_accounts(session, held)


async def expire_holds(session: AsyncSession, now: datetime, limit: int) -> int:
    """Expire due holds and release their counters; see :func:`service.expire_pending`."""
    store = await store_for(session)
    expired = await store.expire_due(now, limit)
    if not expired:
        return 0
    ids = {a for _, d, c, _ in expired for a in (d, c)}
    accounts = await store.load_accounts(ids)
    holds = [(d, c, amount) for _, d, c, amount in expired]
    plan = plan_release(holds, accounts, shard_key=zlib.crc32(expired[0][0].encode()))
    await store.apply_deltas(plan.row_deltas, plan.shard_deltas)
    for transfer_id, *_ in expired:
        key = _TRANSFER_MAPPER.identity_key_from_primary_key((transfer_id,))
        held = session.identity_map.get(key)
        if isinstance(held, LedgerTransfer):
            set_committed_value(held, "status", "expired")
    await refresh_held_accounts(session, ids)
    return len(expired)
