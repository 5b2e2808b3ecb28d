"""Ledger tables: accounts, their balance shards, and the append-only transfers.

Shapes follow TigerBeetle (DESIGN.md section 4). Every amount is an integer in the currency's
minor unit (kobo for NGN). The database itself guards the rules that money depends on:

- an account's counters are never negative, and an account flagged
  ``debits_must_not_exceed_credits`` can never have ``debits_posted + debits_pending >
  credits_posted`` (symmetrically for ``credits_must_not_exceed_debits``): CHECK constraints,
  evaluated on the row version an ``UPDATE`` produces, so no interleaving can break them;
- a pending transfer is resolved (posted or voided) at most once: ``pending_id`` is unique.

Read balances through :func:`kro.ledger.service.get_balance`: for a sharded account
(``balance_shards > 1``) the counters are the account row plus its rows in
``ledger_account_shards``, and the ORM object alone shows only the first part.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, MinorUnits, UTCDateTime
from kro.kit.ids import new_id

ACCOUNT_KINDS = ("asset", "liability", "equity", "revenue", "expense")
TRANSFER_KINDS = ("normal", "pending", "post_pending", "void_pending")
PENDING_STATUSES = ("pending", "posted", "voided", "expired")

_MINOR = "minor units of the account currency (kobo for NGN)"


def _counter(what: str) -> Mapped[int]:
    return mapped_column(
        MinorUnits, nullable=False, default=0, server_default=text("0"), comment=f"{what}, {_MINOR}"
    )


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class LedgerAccount(Base):
    """An account: who owes what to whom, in one currency.

    ``kind`` fixes the normal side: asset and expense accounts grow by debits; liability,
    equity and revenue accounts grow by credits. The four counters are TigerBeetle's and only
    ever change inside the transaction that writes the transfer that moves them.

    Flags (mutually exclusive, enforced by CHECK constraints):

    - ``debits_must_not_exceed_credits``: ``debits_posted + debits_pending <= credits_posted``
      (a wallet or escrow that cannot go below zero);
    - ``credits_must_not_exceed_debits``: ``credits_posted + credits_pending <= debits_posted``.

    ``balance_shards`` > 1 marks a hot account (fee revenue, provider clearing): its counters
    are spread over that many rows of :class:`LedgerAccountShard` so that concurrent
    transactions do not queue on one row. Only unflagged accounts may be sharded.
    """

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint(_in("kind", ACCOUNT_KINDS), name="kind"),
        CheckConstraint(
            "NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits)",
            name="one_limit_flag",
        ),
        CheckConstraint(
            "balance_shards = 1 OR NOT (debits_must_not_exceed_credits "
            "OR credits_must_not_exceed_debits)",
            name="flagged_not_sharded",
        ),
        CheckConstraint("balance_shards BETWEEN 1 AND 256", name="shards_range"),
        CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 "
            "AND credits_pending >= 0",
            name="counters_not_negative",
        ),
        CheckConstraint(
            "NOT debits_must_not_exceed_credits "
            "OR debits_posted + debits_pending <= credits_posted",
            name="debits_within_credits",
        ),
        CheckConstraint(
            "NOT credits_must_not_exceed_debits "
            "OR credits_posted + credits_pending <= debits_posted",
            name="credits_within_debits",
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("acc"))
    code: Mapped[str] = mapped_column(
        String(200), unique=True, nullable=False, comment="stable name, e.g. wallet:usr_x:NGN"
    )
    currency: Mapped[str] = mapped_column(String(3), nullable=False, comment="ISO 4217")
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    debits_must_not_exceed_credits: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    credits_must_not_exceed_debits: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    balance_shards: Mapped[int] = mapped_column(
        Integer,
        nullable=False,
        default=1,
        server_default=text("1"),
        comment="rows the counters are spread over (1 = the account row only)",
    )
    debits_posted: Mapped[int] = _counter("posted debits")
    credits_posted: Mapped[int] = _counter("posted credits")
    debits_pending: Mapped[int] = _counter("debits held by pending transfers")
    credits_pending: Mapped[int] = _counter("credits held by pending transfers")
    owner_id: Mapped[str | None] = mapped_column(
        String(40), nullable=True, index=True, comment="user or tenant id owning the account"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class LedgerAccountShard(Base):
    """One slice of a hot account's counters (minor units); the balance is row + all shards.

    Rows are created on first use by an upsert that adds deltas. A single shard row may hold
    negative values (a hold placed on one shard can be released on another); only the sum over
    the account row and its shards is meaningful, and that sum is never negative.
    """

    __tablename__ = "ledger_account_shards"

    account_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("ledger_accounts.id"), primary_key=True
    )
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    debits_posted: Mapped[int] = _counter("posted debits")
    credits_posted: Mapped[int] = _counter("posted credits")
    debits_pending: Mapped[int] = _counter("debits held by pending transfers")
    credits_pending: Mapped[int] = _counter("credits held by pending transfers")


class LedgerTransfer(Base):
    """An append-only movement of ``amount`` from ``debit_account_id`` to ``credit_account_id``.

    ``id`` is chosen by the client (``trf_…``) and makes retries idempotent. ``kind``:

    - ``normal``: posted at once;
    - ``pending``: a hold (``debits_pending`` / ``credits_pending``); ``status`` (pending →
      posted | voided | expired) and ``amount_posted`` live on this row, the only fields of a
      transfer that ever change;
    - ``post_pending``: a new row with ``pending_id`` that posts ``amount`` (≤ the hold) and
      releases the whole hold;
    - ``void_pending``: a new row with ``pending_id`` that releases the hold (``amount`` = the
      hold). Expiry releases a hold without a new row (``status = expired``), as TigerBeetle.
    """

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
        CheckConstraint(_in("kind", TRANSFER_KINDS), name="kind"),
        CheckConstraint(
            f"(kind = 'pending' AND {_in('status', PENDING_STATUSES)} "
            "AND amount_posted BETWEEN 0 AND amount) "
            "OR (kind <> 'pending' AND status IS NULL AND amount_posted IS NULL)",
            name="pending_state",
        ),
        CheckConstraint(
            "(kind IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL)",
            name="pending_ref",
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True, comment="client-chosen")
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    debit_account_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("ledger_accounts.id"), nullable=False, index=True
    )
    credit_account_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("ledger_accounts.id"), nullable=False, index=True
    )
    amount: Mapped[int] = mapped_column(MinorUnits, nullable=False, comment=_MINOR)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, comment="ISO 4217")
    pending_id: Mapped[str | None] = mapped_column(
        String(64),
        ForeignKey("ledger_transfers.id"),
        nullable=True,
        unique=True,
        comment="the pending transfer a post/void resolves (at most one resolution each)",
    )
    status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    amount_posted: Mapped[int | None] = mapped_column(
        MinorUnits, nullable=True, comment=f"pending rows: posted so far, {_MINOR}"
    )
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    code: Mapped[str] = mapped_column(
        String(64), nullable=False, comment="reason, e.g. escrow.fund"
    )
    reference: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    batch_id: Mapped[str] = mapped_column(
        String(40), nullable=False, comment="transfers posted by one atomic call"
    )
    metadata_: Mapped[dict[str, Any] | None] = mapped_column(
        "metadata",
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"),
        nullable=True,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
