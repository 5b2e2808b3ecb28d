"""Use cases on refunds: create, complete when due, find, list; and their shape.

Lifecycle (assumed [U]; the docs' sample answer shows ``completed`` at once): a refund is
``pending`` for ``config.refund_delay`` seconds, then the background loop marks it
``completed``; with ``refund_delay == 0`` it is ``completed`` when created. Rules: only a
``successful`` transaction can be refunded, in part or in full, never beyond what is left
(pending refunds count); no amount means the rest (the docs: "specify the amount … for a
partial refund"). Every function only flushes.

:func:`refund_data` (providers.md 2): ``{id, account_id, tx_id, flw_ref: "URF_…", wallet_id,
amount_refunded, status, destination: "payment_source", meta{source}, comments, created_at}``.

:func:`page_of` serves ``GET /v3/refunds``. Flutterwave's v3 reference ("Get all refunds")
documents the filters ``from``, ``to`` (``YYYY-MM-DD``), ``status``, ``currency``, ``flw_ref``
(the refund's) and the transaction's id (``data.id``) [U: the parameter's name is not shown
in the reference we have; the sandbox accepts ``id`` and ``tx_id``], paged with ``page`` and
``meta.page_info``. Its sample lists each refund with ``transaction_id`` and ``comment``:
:func:`listed_refund_data` adds both to :func:`refund_data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.sandbox.flutterwave.config import FlutterwaveSandboxConfig
from kro.sandbox.flutterwave.errors import not_found, validation
from kro.sandbox.flutterwave.models import Refund, Transaction
from kro.sandbox.flutterwave.util import major, new_refund_ref, stamp


async def create(
    session: AsyncSession,
    config: FlutterwaveSandboxConfig,
    transaction: Transaction,
    amount: int | None,
    comments: str | None = None,
) -> Refund:
    """Refund ``amount`` minor units (None: all that is left) of ``transaction`` (locked by
    the caller). Raises FlutterwaveApiError 400 when it is not successful, already fully
    refunded, or ``amount`` is more than what is left."""
    if transaction.status != "successful":
        raise validation("Only a successful transaction can be refunded")
    left = transaction.amount - transaction.amount_refunded
    if left <= 0:
        raise validation("Transaction has been fully refunded")
    amount = left if amount is None else amount
    if amount > left:
        raise validation(
            f"Refund amount cannot be greater than the amount left to refund "
            f"({major(left, transaction.currency)} {transaction.currency})"
        )
    now = clock.now()
    instant = config.refund_delay == 0
    refund = Refund(
        account_id=transaction.account_id,
        transaction_id=transaction.id,
        flw_ref=new_refund_ref(now),
        amount=amount,
        currency=transaction.currency,
        status="completed" if instant else "pending",
        comments=comments,
        meta={"source": "availablebalance"},
        created_at=now,
        completes_at=now + timedelta(seconds=config.refund_delay),
        completed_at=now if instant else None,
    )
    transaction.amount_refunded += amount
    transaction.updated_at = now
    session.add(refund)
    await session.flush()
    return refund


async def complete_due(session: AsyncSession) -> int:
    """Mark every ``pending`` refund whose delay has passed ``completed``; return how many."""
    now = clock.now()
    rows = (
        await session.scalars(
            select(Refund)
            .where(Refund.status == "pending", Refund.completes_at <= now)
            .with_for_update(skip_locked=True)
            .limit(100)
        )
    ).all()
    for refund in rows:
        refund.status, refund.completed_at = "completed", now
    await session.flush()
    return len(rows)


async def by_id(session: AsyncSession, account_id: int, refund_id: int) -> Refund:
    """The account's refund; 404 "No refund was found for this id" otherwise [U: wording]."""
    refund = await session.scalar(
        select(Refund).where(Refund.id == refund_id, Refund.account_id == account_id)
    )
    if refund is None:
        raise not_found("No refund was found for this id")
    return refund


@dataclass(frozen=True)
class RefundFilter:
    """``GET /v3/refunds`` filters: ``start``/``end`` UTC days inclusive, the rest exact;
    ``transaction_ids``: every given transaction id must match (``id`` and ``tx_id``)."""

    start: date | None = None
    end: date | None = None
    status: str | None = None
    currency: str | None = None
    flw_ref: str | None = None
    transaction_ids: tuple[int, ...] = ()
    page: int = 1


async def page_of(
    session: AsyncSession, account_id: int, filters: RefundFilter, page_size: int
) -> tuple[list[Refund], int]:
    """One page (newest first) of the account's refunds and the total that match."""
    query = select(Refund).where(Refund.account_id == account_id)
    if filters.start is not None:
        query = query.where(Refund.created_at >= _midnight(filters.start))
    if filters.end is not None:
        query = query.where(Refund.created_at < _midnight(filters.end + timedelta(days=1)))
    if filters.status:
        query = query.where(Refund.status == filters.status)
    if filters.currency:
        query = query.where(Refund.currency == filters.currency)
    if filters.flw_ref:
        query = query.where(Refund.flw_ref == filters.flw_ref)
    for transaction_id in filters.transaction_ids:
        query = query.where(Refund.transaction_id == transaction_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(Refund.created_at.desc(), Refund.id.desc())
        .offset((filters.page - 1) * page_size)
        .limit(page_size)
    )
    return list(rows.all()), total


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def refund_data(r: Refund) -> dict[str, Any]:
    """A refund as Flutterwave reports it (``amount_refunded`` in major units)."""
    return {
        "id": r.id,
        "account_id": r.account_id,
        "tx_id": r.transaction_id,
        "flw_ref": r.flw_ref,
        "wallet_id": 70_000 + r.account_id,  # the merchant's wallet id [U: not meaningful]
        "amount_refunded": major(r.amount, r.currency),
        "status": r.status,
        "destination": "payment_source",
        "meta": r.meta or {"source": "availablebalance"},
        "comments": r.comments,
        "created_at": stamp(r.created_at),
    }


def listed_refund_data(r: Refund) -> dict[str, Any]:
    """A refund as ``GET /v3/refunds`` lists it: :func:`refund_data` plus the reference's
    ``transaction_id`` (= ``tx_id``) and ``comment`` (= ``comments``)."""
    return {**refund_data(r), "transaction_id": r.transaction_id, "comment": r.comments}
