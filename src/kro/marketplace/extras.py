"""Service extras (Fiverr's gig extras): options a seller offers beside the packages — a
faster delivery, an extra revision, anything else — each with a price in minor units and
its effect on the order's delivery days and revisions.

Chosen when ordering, they are part of the order (its price, fee, commission, delivery days
and revisions) and rows ``included``; bought mid-order they are paid separately
(:mod:`kro.marketplace.purchases`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.marketplace.errors import ExtraNotFound, InvalidExtras
from kro.marketplace.models import Order, OrderExtra, ServiceExtra

MAX_EXTRAS = 10


@dataclass(frozen=True)
class ExtraSpec:
    """An extra as the seller gives it: ``price`` minor units; ``extra_days`` added to the
    delivery (negative: faster); ``extra_revisions`` added to the revisions."""

    title: str
    price: int
    extra_days: int = 0
    extra_revisions: int = 0


def check(specs: Sequence[ExtraSpec], shortest: int | None = None) -> None:
    """At most :data:`MAX_EXTRAS`, each with a positive price; a faster delivery must
    leave the ``shortest`` package at least a day. Raises InvalidExtras (422)."""
    if len(specs) > MAX_EXTRAS:
        raise InvalidExtras(details={"field": "extras", "max": MAX_EXTRAS})
    for spec in specs:
        if spec.price <= 0 or spec.extra_revisions < 0 or not spec.title.strip():
            raise InvalidExtras(details={"field": "extras", "title": spec.title})
        if shortest is not None and shortest + spec.extra_days < 1:
            raise InvalidExtras(details={"field": "extras", "extra_days": spec.extra_days})


async def add(
    session: AsyncSession, service_id: str, specs: Sequence[ExtraSpec]
) -> list[ServiceExtra]:
    """Add extras to a service (the caller checked that it owns it and :func:`check`)."""
    rows = [
        ServiceExtra(
            service_id=service_id,
            title=spec.title.strip(),
            price=spec.price,
            extra_days=spec.extra_days,
            extra_revisions=spec.extra_revisions,
        )
        for spec in specs
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def of_service(session: AsyncSession, service_id: str) -> list[ServiceExtra]:
    """A service's extras, cheapest first."""
    stmt = (
        select(ServiceExtra)
        .where(ServiceExtra.service_id == service_id)
        .order_by(ServiceExtra.price, ServiceExtra.id)
    )
    return list((await session.execute(stmt)).scalars())


async def find(session: AsyncSession, service_id: str, extra_id: str) -> ServiceExtra:
    """One of the service's extras; ExtraNotFound (404) otherwise."""
    extra = await session.get(ServiceExtra, extra_id)
    if extra is None or extra.service_id != service_id:
        raise ExtraNotFound(details={"field": "extra_id"})
    return extra


async def choose(
    session: AsyncSession, service_id: str, extra_ids: Sequence[str]
) -> list[ServiceExtra]:
    """The extras a buyer picked when ordering (each once). Raises ExtraNotFound (404),
    InvalidExtras (422: one picked twice)."""
    if len(set(extra_ids)) != len(extra_ids):
        raise InvalidExtras("Pick each extra once.", details={"field": "extra_ids"})
    return [await find(session, service_id, extra_id) for extra_id in extra_ids]


def apply(order: Order, extra_days: int, extra_revisions: int) -> None:
    """An extra's effect on the order's terms: delivery days (never under one day; a
    started order's due date moves with them) and revisions."""
    order.delivery_days = max(1, order.delivery_days + extra_days)
    order.revisions_allowed += extra_revisions
    if order.started_at is not None:
        order.due_at = order.started_at + timedelta(days=order.delivery_days)


async def include(session: AsyncSession, order: Order, chosen: Sequence[ServiceExtra]) -> None:
    """Record the extras chosen when ordering (``included``: in the order's own price)."""
    for extra in chosen:
        session.add(
            OrderExtra(
                order_id=order.id,
                extra_id=extra.id,
                title=extra.title,
                price=extra.price,
                extra_days=extra.extra_days,
                extra_revisions=extra.extra_revisions,
                status="included",
            )
        )
    await session.flush()


async def of_order(session: AsyncSession, order_id: str) -> list[OrderExtra]:
    """An order's extras in the order they were added."""
    stmt = (
        select(OrderExtra)
        .where(OrderExtra.order_id == order_id)
        .order_by(OrderExtra.created_at, OrderExtra.id)
    )
    return list((await session.execute(stmt)).scalars())
