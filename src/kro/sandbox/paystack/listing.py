"""Reads for Paystack's list and fetch endpoints: transactions and refunds, one integration's.

Lists are newest first (``created_at``, then ``id``) and paged by ``page``/``perPage``; the
caller gets the rows and the total for Paystack's list ``meta``
(``{total, skipped, perPage, page, pageCount}``, see :func:`page_meta`). Every query is scoped
by the integration; another integration's row is "not found". Sources:
paystack.com/docs/api/transaction (List, Fetch) and paystack.com/docs/api/refund (List, Fetch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.sandbox.paystack.errors import PaystackApiError
from kro.sandbox.paystack.models import Customer, Refund, Transaction

R = TypeVar("R", Transaction, Refund)


@dataclass(frozen=True)
class Window:
    """Filters and paging common to the lists, on ``created_at``: ``start`` (``from``)
    inclusive, ``end`` (``to``) exclusive — a date-only ``to`` is already the next midnight
    (``inputs.date_bound``), so it covers its whole day."""

    start: datetime | None
    end: datetime | None
    page: int
    per_page: int


def page_meta(total: int, window: Window) -> dict[str, Any]:
    """Paystack's list ``meta``: ``pageCount`` is at least 1, as on Paystack."""
    return {
        "total": total,
        "skipped": (window.page - 1) * window.per_page,
        "perPage": window.per_page,
        "page": window.page,
        "pageCount": max(1, -(-total // window.per_page)),
    }


def _windowed(query: Select[R], created_at: Any, window: Window) -> Select[R]:
    if window.start is not None:
        query = query.where(created_at >= window.start)
    if window.end is not None:
        query = query.where(created_at < window.end)
    return query


async def _page(
    session: AsyncSession, query: Select[R], model: type[R], window: Window
) -> tuple[Sequence[R], int]:
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(model.created_at.desc(), model.id.desc())
        .offset((window.page - 1) * window.per_page)
        .limit(window.per_page)
    )
    return rows.all(), int(total or 0)


async def list_transactions(
    session: AsyncSession,
    integration: int,
    window: Window,
    *,
    status: str | None = None,
    customer: int | None = None,
) -> tuple[Sequence[Transaction], int]:
    """``GET /transaction``: a page of ``integration``'s transactions and the total."""
    query = select(Transaction).where(Transaction.integration == integration)
    if status:
        query = query.where(Transaction.status == status)
    if customer is not None:
        query = query.where(Transaction.customer_id == customer)
    return await _page(
        session, _windowed(query, Transaction.created_at, window), Transaction, window
    )


async def customers_of(
    session: AsyncSession, transactions: Sequence[Transaction]
) -> dict[int, Customer]:
    """The customers of ``transactions`` by id, in one query."""
    ids = {tx.customer_id for tx in transactions}
    if not ids:
        return {}
    rows = await session.scalars(select(Customer).where(Customer.id.in_(ids)))
    return {c.id: c for c in rows}


async def transaction_by_id(session: AsyncSession, integration: int, tx_id: str) -> Transaction:
    """``GET /transaction/:id`` (numeric id only); else Paystack's 404 "Transaction not found"."""
    tx = None
    if tx_id.isdigit():
        tx = await session.scalar(
            select(Transaction).where(
                Transaction.integration == integration, Transaction.id == int(tx_id)
            )
        )
    if tx is None:
        raise PaystackApiError("Transaction not found", http_status=404, code="not_found")
    return tx


async def list_refunds(
    session: AsyncSession,
    integration: int,
    window: Window,
    *,
    transaction: str | None = None,
    currency: str | None = None,
) -> tuple[Sequence[Refund], int]:
    """``GET /refund``: a page of ``integration``'s refunds and the total. ``transaction``: the
    refunded transaction's id or reference (an unknown one matches nothing)."""
    query = select(Refund).where(Refund.integration == integration)
    if transaction:
        tx_ids = select(Transaction.id).where(
            Transaction.integration == integration, Transaction.reference == transaction
        )
        if transaction.isdigit():
            tx_ids = select(Transaction.id).where(
                Transaction.integration == integration,
                (Transaction.reference == transaction) | (Transaction.id == int(transaction)),
            )
        query = query.where(Refund.transaction_id.in_(tx_ids))
    if currency:
        query = query.where(Refund.currency == currency.upper())
    return await _page(session, _windowed(query, Refund.created_at, window), Refund, window)


async def refund_by_id(session: AsyncSession, integration: int, refund_id: str) -> Refund:
    """``GET /refund/:id``; else Paystack's 404 "Refund not found"."""
    refund = None
    if refund_id.isdigit():
        refund = await session.scalar(
            select(Refund).where(Refund.integration == integration, Refund.id == int(refund_id))
        )
    if refund is None:
        raise PaystackApiError("Refund not found", http_status=404, code="not_found")
    return refund
