"""Ledger use cases: accounts, atomic batches of (two-phase) transfers, balances, expiry.

Every function takes the caller's ``AsyncSession`` and only flushes; the caller owns the
transaction (DESIGN.md section 5). Amounts are integers in minor units (kobo for NGN).

Concurrency (DESIGN.md section 4) — how no update is lost and no flagged account is overdrawn,
across processes, without making hot accounts a queue:

- **No read locks.** Counters change only through atomic ``UPDATE … SET x = x + :delta``
  (PostgreSQL re-evaluates the row under its lock, READ COMMITTED), so concurrent writers
  cannot lose each other's updates, and nothing is read ``FOR UPDATE`` beforehand.
- **Limits are enforced by the database.** ``debits_must_not_exceed_credits`` (and its mirror)
  is a CHECK constraint evaluated on the row version each UPDATE produces, so two withdrawals
  racing for the last naira cannot both commit. The service also checks limits on the rows it
  read, to answer :class:`InsufficientFunds` without writing; when a concurrent writer got
  there between that read and the UPDATE, the CHECK fires, the batch's savepoint is rolled back
  and the batch is re-run once more against the new balance.
- **Fixed lock order.** A batch writes pending rows, then account rows in id order, then shard
  rows in (account, shard) order, so two batches cannot deadlock each other.
- **Hot accounts are sharded.** A row touched by an UPDATE stays locked until the caller
  commits, so an account credited by every transaction (platform fee revenue, provider
  clearing, payouts in flight) would serialise the system even without read locks. Such
  accounts are created with ``balance_shards > 1``: their deltas go to one of N rows of
  ``ledger_account_shards`` (an upsert, picked by a hash of the batch's first transfer id), so
  N concurrent transactions rarely wait on each other. Their balance is the account row plus
  all shards (:func:`get_balance`). A flagged account needs one consistent total for its CHECK,
  so flagged accounts are never sharded; they are per user or per order and naturally cool.
- **Retries are idempotent.** Transfer ids are client-chosen and unique; ``pending_id`` is
  unique too, so a hold is resolved at most once even by racing processes.

Callers that make several ledger calls in one transaction should expect PostgreSQL to report
an occasional deadlock (a retryable error) if two such transactions touch the same accounts in
opposite orders; one batch per transaction avoids it.

Speed: a batch of normal transfers costs five or six statements after BEGIN (savepoint, read
the accounts, insert the transfers, add the deltas to account rows and to shard rows,
release), issued by :mod:`kro.ledger.store` without the ORM; on PostgreSQL they run on the
session's asyncpg connection directly.
``bench/ledger.py`` compares this with the same SQL hand-written on asyncpg (BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.kit.ids import new_id
from kro.kit.money import MoneyError, check_currency
from kro.ledger import posting, store
from kro.ledger.errors import AccountExists, AccountNotFound, InvalidAccount
from kro.ledger.invariants import check_invariants
from kro.ledger.models import ACCOUNT_KINDS, LedgerAccount, LedgerTransfer
from kro.ledger.specs import (
    PostPending,
    TransferRequest,
    TransferSpec,
    VoidPending,
    validate_batch,
)

__all__ = [
    "Balance",
    "Entry",
    "PostPending",
    "TransferRequest",
    "TransferSpec",
    "VoidPending",
    "account_entries",
    "balances_for_owner",
    "check_invariants",
    "create_transfer",
    "create_transfers",
    "expire_pending",
    "get_balance",
    "get_or_create_account",
    "get_transfer",
]

_CREDIT_NORMAL = frozenset({"liability", "equity", "revenue"})


# --------------------------------------------------------------------------- accounts


async def get_or_create_account(
    session: AsyncSession,
    code: str,
    currency: str,
    kind: str,
    *,
    debits_must_not_exceed_credits: bool = False,
    credits_must_not_exceed_debits: bool = False,
    owner_id: str | None = None,
    balance_shards: int = 1,
) -> LedgerAccount:
    """The account named ``code``, created if missing; safe under concurrent creators.

    ``kind`` is one of asset, liability, equity, revenue, expense. ``balance_shards`` > 1 marks
    a hot account (see the module docstring); it cannot carry a limit flag. Raises
    :class:`InvalidAccount` (422) for a malformed definition and :class:`AccountExists` (409)
    if ``code`` exists with another currency, kind, flags, shards or owner.
    """
    wanted = {
        "currency": currency,
        "kind": kind,
        "debits_must_not_exceed_credits": debits_must_not_exceed_credits,
        "credits_must_not_exceed_debits": credits_must_not_exceed_debits,
        "balance_shards": balance_shards,
        "owner_id": owner_id,
    }
    _validate_account(code, wanted)
    account = await _account_by_code(session, code)
    if account is None:
        values = {"id": new_id("acc"), "code": code, "created_at": utcnow(), **wanted}
        insert = store.statements(session.get_bind().dialect.name).insert_account
        await session.execute(insert.values(values))
        account = await _account_by_code(session, code)
        assert account is not None  # inserted, or inserted by a concurrent creator
    clashes = [k for k, v in wanted.items() if getattr(account, k) != v]
    if clashes:
        raise AccountExists(details={"code": code, "fields": clashes})
    return account


def _validate_account(code: str, wanted: dict[str, object]) -> None:
    if not isinstance(code, str) or not 0 < len(code) <= 200:
        raise InvalidAccount("code must be a string of 1 to 200 characters.")
    try:
        check_currency(str(wanted["currency"]))
    except MoneyError as exc:
        raise InvalidAccount(str(exc)) from exc
    if wanted["kind"] not in ACCOUNT_KINDS:
        raise InvalidAccount(f"kind must be one of {', '.join(ACCOUNT_KINDS)}.")
    flagged = wanted["debits_must_not_exceed_credits"] or wanted["credits_must_not_exceed_debits"]
    if wanted["debits_must_not_exceed_credits"] and wanted["credits_must_not_exceed_debits"]:
        raise InvalidAccount("An account takes at most one balance-limit flag.")
    shards = wanted["balance_shards"]
    if not isinstance(shards, int) or not 1 <= shards <= 256 or (flagged and shards != 1):
        raise InvalidAccount("balance_shards is 1..256, and 1 for a flagged account.")


async def _account_by_code(session: AsyncSession, code: str) -> LedgerAccount | None:
    stmt = select(LedgerAccount).where(LedgerAccount.code == code)
    result = await session.execute(stmt.execution_options(populate_existing=True))
    return result.scalar_one_or_none()


# --------------------------------------------------------------------------- transfers


async def create_transfers(
    session: AsyncSession, requests: Sequence[TransferRequest]
) -> list[LedgerTransfer]:
    """Apply ``requests`` as one atomic batch; returns one transfer per request, in order.

    All or nothing: the batch runs in a savepoint, so a failure leaves the caller's transaction
    usable and unchanged. A request whose id exists with the same fields returns the stored
    transfer (a retry); with different fields it raises :class:`TransferExists` (409).

    Raises :class:`InvalidTransfer` (422), :class:`AccountNotFound` (404),
    :class:`CurrencyMismatch` (422), :class:`InsufficientFunds` (409),
    :class:`PendingTransferNotFound` (404), :class:`PendingTransferNotPending` (409),
    :class:`PendingTransferExpired` (409), :class:`ExceedsPendingAmount` (422), and
    :class:`LedgerBusy` (409, retryable) if concurrent writers kept winning the race.
    """
    validate_batch(requests)
    return await posting.post_batch(session, requests)


async def create_transfer(session: AsyncSession, request: TransferRequest) -> LedgerTransfer:
    """One transfer, post or void: :func:`create_transfers` with a batch of one."""
    (transfer,) = await create_transfers(session, [request])
    return transfer


async def get_transfer(session: AsyncSession, transfer_id: str) -> LedgerTransfer | None:
    """The transfer with this id, or ``None``."""
    return await session.get(LedgerTransfer, transfer_id, populate_existing=True)


async def expire_pending(session: AsyncSession, now: datetime, *, limit: int = 1000) -> int:
    """Release up to ``limit`` holds whose ``expires_at`` ≤ ``now``; returns how many.

    Each becomes ``status = expired`` (no new transfer row, as in TigerBeetle) and its pending
    counters are released. Safe to run from several workers at once (PostgreSQL skips holds
    another transaction is expiring, posting or voiding). Call it periodically.
    """
    return await posting.expire_holds(session, now, limit)


# --------------------------------------------------------------------------- balances


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's counters (minor units), summed over its shards.

    For a credit-normal account (liability, equity, revenue — a wallet, an escrow):
    ``available = credits_posted - debits_posted - debits_pending`` and ``pending =
    credits_pending`` (money on its way in). For a debit-normal one (asset, expense) the sides
    swap.
    """

    account_id: str
    code: str
    currency: str
    kind: str
    owner_id: str | None
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int

    @property
    def credit_normal(self) -> bool:
        """True for liability, equity and revenue accounts (credits increase them)."""
        return self.kind in _CREDIT_NORMAL

    @property
    def posted(self) -> int:
        """Net posted balance on the account's normal side."""
        net = self.credits_posted - self.debits_posted
        return net if self.credit_normal else -net

    @property
    def available(self) -> int:
        """Posted balance less outgoing holds: what can be spent now."""
        held = self.debits_pending if self.credit_normal else self.credits_pending
        return self.posted - held

    @property
    def pending(self) -> int:
        """Incoming holds: money that will arrive if they are posted."""
        return self.credits_pending if self.credit_normal else self.debits_pending


async def get_balance(session: AsyncSession, account_id: str) -> Balance:
    """The balance of one account; raises :class:`AccountNotFound` (404)."""
    stmt = store.BALANCES.where(store.accounts.c.id == account_id)
    row = (await session.execute(stmt)).first()
    if row is None:
        raise AccountNotFound(details={"account_id": account_id})
    return Balance(*row)


async def balances_for_owner(session: AsyncSession, owner_id: str) -> list[Balance]:
    """Balances of every account owned by ``owner_id`` (e.g. a user's wallets), by code."""
    stmt = store.BALANCES.where(store.accounts.c.owner_id == owner_id).order_by(
        store.accounts.c.code
    )
    return [Balance(*row) for row in await session.execute(stmt)]


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Entry:
    """One transfer as one account sees it (a line of its statement).

    ``side``: ``"credit"`` or ``"debit"`` — which side of the transfer the account is on;
    ``amount`` minor units (for a ``post_pending`` row, what was posted); ``kind`` and
    ``status`` as :class:`~kro.ledger.models.LedgerTransfer` (``status`` only on ``pending``
    rows: pending | posted | voided | expired); ``code`` and ``reference`` as the caller wrote
    them (a post or void row carries its hold's).
    """

    transfer_id: str
    kind: str
    side: str
    amount: int
    currency: str
    code: str
    reference: str | None
    status: str | None
    pending_id: str | None
    created_at: datetime


async def account_entries(
    session: AsyncSession, account_id: str, *, limit: int = 50
) -> list[Entry]:
    """The newest ``limit`` (1..500) transfers that debit or credit ``account_id``, newest
    first. Meant for accounts with an owner (a wallet, an escrow), not for hot accounts."""
    t = store.transfers.c
    stmt = (
        select(
            t.id,
            t.kind,
            t.credit_account_id,
            t.amount,
            t.currency,
            t.code,
            t.reference,
            t.status,
            t.pending_id,
            t.created_at,
        )
        .where(or_(t.debit_account_id == account_id, t.credit_account_id == account_id))
        .order_by(t.created_at.desc(), t.id.desc())
        .limit(max(1, min(limit, 500)))
    )
    return [
        Entry(
            transfer_id=row.id,
            kind=row.kind,
            side="credit" if row.credit_account_id == account_id else "debit",
            amount=row.amount,
            currency=row.currency,
            code=row.code,
            reference=row.reference,
            status=row.status,
            pending_id=row.pending_id,
            created_at=row.created_at,
        )
        for row in await session.execute(stmt)
    ]
