"""What an admin does to the catalog: the services review queue (when
``marketplace_review_services`` is on, a new service is ``pending_review`` until approved,
or ``rejected`` with a reason the seller sees), suspending a service (or reinstating it),
and suspending a seller (all their services suspended; nothing new listed until lifted).
Each decision leaves an audit-log row; none moves money, so no TOTP is asked. Orders
already paid go on: suspension stops new business only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.identity.models import User
from kro.marketplace.errors import (
    InvalidServiceStatus,
    SellerNotSuspended,
    ServiceNotFound,
    ServiceNotReviewable,
)
from kro.marketplace.models import SellerSuspension, Service

# decision → (the state it needs, the state it leaves)
DECISIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({"pending_review"}), "active"),
    "reject": (frozenset({"pending_review"}), "rejected"),
    "suspend": (frozenset({"active", "paused", "pending_review"}), "suspended"),
    "reinstate": (frozenset({"suspended"}), "paused"),
}


async def queue(
    session: AsyncSession, status: str = "pending_review", limit: int = 100
) -> list[Service]:
    """Services in ``status`` (default: waiting for review), oldest first."""
    stmt = select(Service).where(Service.status == status).order_by(Service.created_at, Service.id)
    return list((await session.execute(stmt.limit(limit))).scalars())


async def decide(
    session: AsyncSession,
    admin: User,
    service_id: str,
    decision: str,
    reason: str | None = None,
    ip: str | None = None,
) -> Service:
    """``approve`` | ``reject`` a service waiting for review, ``suspend`` one (listed or
    not) or ``reinstate`` a suspended one (paused: the seller reopens it). ``reason`` is
    shown to the seller. Raises ServiceNotFound (404), ServiceNotReviewable (409: approve or
    reject of a service not waiting), InvalidServiceStatus (422)."""
    service = await session.get(Service, service_id, with_for_update=True)
    if service is None:
        raise ServiceNotFound()
    needed, target = DECISIONS[decision]
    if service.status not in needed:
        if decision in ("approve", "reject"):
            raise ServiceNotReviewable(details={"status": service.status})
        raise InvalidServiceStatus(details={"status": service.status})
    before = service.status
    service.status = target
    service.review_note = reason[:500] if reason else None
    await session.flush()
    await audit.record(
        session,
        actor_id=admin.id,
        action=f"marketplace.service_{decision}",
        target_type="marketplace_service",
        target_id=service.id,
        ip=ip,
        details={"from": before, "to": target, "reason": reason},
    )
    return service


async def suspend_seller(
    session: AsyncSession, admin: User, seller_id: str, reason: str, ip: str | None = None
) -> list[Service]:
    """Suspend a seller: every service of theirs that is listed, paused or waiting is
    suspended with ``reason``, and they may list nothing new (idempotent). Returns the
    services suspended now."""
    if await session.get(SellerSuspension, seller_id) is None:
        session.add(SellerSuspension(user_id=seller_id, reason=reason[:500], admin_id=admin.id))
    stmt = select(Service).where(
        Service.seller_id == seller_id, Service.status.in_(DECISIONS["suspend"][0])
    )
    services = list((await session.execute(stmt.with_for_update())).scalars())
    for service in services:
        service.status, service.review_note = "suspended", reason[:500]
    await session.flush()
    await audit.record(
        session,
        actor_id=admin.id,
        action="marketplace.seller_suspended",
        target_type="user",
        target_id=seller_id,
        ip=ip,
        details={"reason": reason, "services": [s.id for s in services]},
    )
    return services


async def lift_seller(
    session: AsyncSession, admin: User, seller_id: str, ip: str | None = None
) -> None:
    """Lift a seller's suspension (their services stay suspended until each is reinstated).
    Raises SellerNotSuspended (404)."""
    row = await session.get(SellerSuspension, seller_id)
    if row is None:
        raise SellerNotSuspended()
    await session.delete(row)
    await session.flush()
    await audit.record(
        session,
        actor_id=admin.id,
        action="marketplace.seller_reinstated",
        target_type="user",
        target_id=seller_id,
        ip=ip,
    )


async def suspended_sellers(session: AsyncSession) -> list[SellerSuspension]:
    """Suspended sellers, most recent first."""
    stmt = select(SellerSuspension).order_by(SellerSuspension.created_at.desc())
    return list((await session.execute(stmt)).scalars())


async def is_suspended(session: AsyncSession, seller_id: str) -> bool:
    return await session.get(SellerSuspension, seller_id) is not None


async def seller_of(session: AsyncSession, service_id: str) -> str:
    """The seller of a service (any state). Raises ServiceNotFound (404)."""
    service = await session.get(Service, service_id)
    if service is None:
        raise ServiceNotFound()
    return service.seller_id
