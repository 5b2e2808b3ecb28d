"""Use cases on refunds: create, complete when due, find; and their shape.

Lifecycle (assumed [U]; the docs' sample answer shows ``completed`` at once): a refund is
``pending`` for ``config.refund_delay`` seconds, then the background loop marks it
``completed``; with ``refund_delay == 0`` it is ``completed`` when created. Rules: only a
``successful`` transaction can be refunded, in part or in full, never beyond what is left
(pending refunds count); no amount means the rest (the docs: "specify the amount … for a
partial refund"). Every function only flushes.

:func:`refund_data` (providers.md 2): ``{id, account_id, tx_id, flw_ref: "URF_…", wallet_id,
amount_refunded, status, destination: "payment_source", meta{source}, comments, created_at}``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
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
