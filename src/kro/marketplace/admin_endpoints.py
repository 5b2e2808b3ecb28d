"""The marketplace's admin JSON API (``/v1/admin/marketplace/…``; admins only, each
money move with a fresh TOTP and an audit-log row): categories (create, edit: name, place
in the tree, commission), the money terms in force, the services review queue, suspending
a service or a seller, reports per day, order cancellation and refund, dispute decisions,
and the sandbox's clock. Thin handlers over the same services as :mod:`.endpoints`, which
includes this router."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from kro.idempotency.routing import IdempotentRoute
from kro.identity.dependencies import AdminUser, AppSettings, ClientIp
from kro.identity.errors import TotpRequired
from kro.kit.api import Envelope, ok
from kro.kit.days import DateRangeInvalid
from kro.kit.deps import DbSession
from kro.kit.errors import InvalidTransition
from kro.kit.openapi import error_responses
from kro.ledger.errors import LedgerBusy
from kro.marketplace import catalog, disputes, moderation, orders, reports, terms, timers
from kro.marketplace.errors import (
    CategoryCycle,
    CategoryNotFound,
    ClearanceOver,
    InvalidServiceStatus,
    InvalidSplit,
    OrderNotFound,
    ReasonRequired,
    SandboxOnly,
    SellerNotSuspended,
    ServiceNotFound,
    ServiceNotReviewable,
)
from kro.marketplace.models import Order
from kro.marketplace.schemas import (
    AdminMoneyIn,
    AdvanceIn,
    CategoryIn,
    CategoryOut,
    CategoryUpdateIn,
    DayTotalOut,
    DecisionIn,
    FeesOut,
    OrderOut,
    ResolveIn,
    ServiceOut,
    SuspendIn,
    TermsIn,
)
from kro.settings import Settings

admin_router = APIRouter(tags=["admin: marketplace"], route_class=IdempotentRoute)


async def _out(session: DbSession, order: Order, viewer_id: str) -> OrderOut:
    return OrderOut.of(await orders.view(session, order), viewer_id)


@admin_router.post(
    "/v1/admin/marketplace/categories",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(CategoryNotFound),
)
async def create_category(
    body: CategoryIn, _: AdminUser, session: DbSession
) -> Envelope[CategoryOut]:
    """A new category (``commission_bps`` overrides the default commission)."""
    category = await catalog.create_category(
        session, body.name, body.parent_id, body.commission_bps
    )
    return ok(CategoryOut.of(category))


@admin_router.get("/v1/admin/marketplace/services")
async def admin_services(
    _: AdminUser,
    session: DbSession,
    status_: Annotated[
        str, Query(alias="status", pattern="^(pending_review|active|paused|rejected|suspended)$")
    ] = "pending_review",
) -> Envelope[list[ServiceOut]]:
    """Services in one state (default: the review queue), oldest first."""
    rows = await moderation.queue(session, status_)
    return ok([await ServiceOut.load(session, s) for s in rows])


@admin_router.post(
    "/v1/admin/marketplace/services/{service_id}/{decision}",
    responses=error_responses(ServiceNotFound, ServiceNotReviewable, InvalidServiceStatus),
)
async def admin_decide_service(
    service_id: str,
    decision: Annotated[str, Path(pattern="^(approve|reject|suspend|reinstate)$")],
    body: DecisionIn,
    admin: AdminUser,
    session: DbSession,
    ip: ClientIp,
) -> Envelope[ServiceOut]:
    """Approve or reject (with a reason) a service waiting for review; suspend a service
    (with a reason) or reinstate it (paused: its seller reopens it). Audit-logged."""
    if decision in ("reject", "suspend") and not body.reason:
        raise ReasonRequired(details={"field": "reason"})
    service = await moderation.decide(session, admin, service_id, decision, body.reason, ip)
    return ok(await ServiceOut.load(session, service))


@admin_router.post(
    "/v1/admin/marketplace/orders/{order_id}/cancel",
    responses=error_responses(OrderNotFound, InvalidTransition, LedgerBusy, TotpRequired),
)
async def admin_cancel(
    order_id: str, body: AdminMoneyIn, admin: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[OrderOut]:
    """Cancel a paid, not completed order and refund the buyer in full."""
    order = await orders.admin_cancel(session, admin, order_id, body.reason, body.totp_code, ip)
    return ok(await _out(session, order, admin.id))


@admin_router.post(
    "/v1/admin/marketplace/orders/{order_id}/refund",
    responses=error_responses(
        OrderNotFound, InvalidTransition, ClearanceOver, LedgerBusy, TotpRequired
    ),
)
async def admin_refund(
    order_id: str, body: AdminMoneyIn, admin: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[OrderOut]:
    """Refund a completed order within clearance: the seller's pending earnings clawed back."""
    order = await orders.admin_refund(session, admin, order_id, body.reason, body.totp_code, ip)
    return ok(await _out(session, order, admin.id))


@admin_router.post(
    "/v1/admin/marketplace/orders/{order_id}/advance-clock",
    responses=error_responses(OrderNotFound, SandboxOnly, LedgerBusy),
)
async def advance_clock(
    order_id: str, body: AdvanceIn, admin: AdminUser, session: DbSession, settings: AppSettings
) -> Envelope[OrderOut]:
    """Sandbox only (404 elsewhere): move the order's clocks ``seconds`` into the past and
    run the timers (expiry, late, auto-complete, hard limit, clearance, reviews) once."""
    if not settings.sandbox_enabled or settings.env == "production":
        raise SandboxOnly()
    order = await timers.advance_clocks(session, settings, order_id, body.seconds)
    return ok(await _out(session, order, admin.id))


@admin_router.post(
    "/v1/admin/marketplace/orders/{order_id}/resolve",
    responses=error_responses(
        OrderNotFound, InvalidTransition, ClearanceOver, InvalidSplit, TotpRequired, LedgerBusy
    ),
)
async def resolve_dispute(
    order_id: str,
    body: ResolveIn,
    admin: AdminUser,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Envelope[OrderOut]:
    """Decide a dispute with a fresh TOTP: complete, cancel (full refund) or split."""
    order = await disputes.resolve(
        session,
        settings,
        admin,
        order_id,
        body.outcome,
        body.note,
        body.totp_code,
        seller_amount=body.seller_amount,
        ip=ip,
    )
    return ok(await _out(session, order, admin.id))


@admin_router.put(
    "/v1/admin/marketplace/categories/{category_id}",
    responses=error_responses(CategoryNotFound, CategoryCycle),
)
async def update_category(
    category_id: str, body: CategoryUpdateIn, _: AdminUser, session: DbSession
) -> Envelope[CategoryOut]:
    """Rename, move in the tree, or set the commission of a category (null: default)."""
    category = await catalog.update_category(
        session, category_id, body.name, body.parent_id, body.commission_bps
    )
    return ok(CategoryOut.of(category))


@admin_router.get("/v1/admin/marketplace/fees")
async def fees(_: AdminUser, session: DbSession, settings: AppSettings) -> Envelope[FeesOut]:
    """The money terms in force (the newest an admin set, else the environment's; per
    category: the categories' commission)."""
    return ok(await admin_fees(session, settings))


@admin_router.put("/v1/admin/marketplace/fees", responses=error_responses(TotpRequired))
async def change_fees(
    body: TermsIn,
    admin: AdminUser,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Envelope[FeesOut]:
    """Put new money terms in force for orders, extras and tips placed from now on (a
    fresh TOTP code; audit-logged)."""
    await terms.change(session, admin, body.to_terms(), body.note, totp_code=body.totp_code, ip=ip)
    return ok(await admin_fees(session, settings))


async def admin_fees(session: DbSession, settings: Settings) -> FeesOut:
    """The terms in force and the clearance settings."""
    return FeesOut(
        **asdict(await terms.current(session, settings)),
        clearance=settings.marketplace_clearance,
        clearance_by_level=dict(settings.marketplace_clearance_by_level),
    )


@admin_router.post("/v1/admin/marketplace/sellers/{seller_id}/suspend")
async def suspend_seller(
    seller_id: str, body: SuspendIn, admin: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[list[ServiceOut]]:
    """Suspend a seller: their services suspended, nothing new listed (audit-logged).
    Returns the services suspended now."""
    rows = await moderation.suspend_seller(session, admin, seller_id, body.reason, ip)
    return ok([await ServiceOut.load(session, s) for s in rows])


@admin_router.post(
    "/v1/admin/marketplace/sellers/{seller_id}/reinstate",
    responses=error_responses(SellerNotSuspended),
)
async def reinstate_seller(
    seller_id: str, admin: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[dict[str, str]]:
    """Lift a seller's suspension (their services are reinstated one by one)."""
    await moderation.lift_seller(session, admin, seller_id, ip)
    return ok({"seller_id": seller_id, "status": "reinstated"})


@admin_router.get(
    "/v1/admin/marketplace/reports/daily", responses=error_responses(DateRangeInvalid)
)
async def daily_report(
    _: AdminUser,
    session: DbSession,
    start: Annotated[date, Query()],
    end: Annotated[date, Query()],
) -> Envelope[list[DayTotalOut]]:
    """Orders paid, GMV and fees per Lagos day from ``start`` to ``end`` (at most 366)."""
    rows = await reports.per_day(session, start, end)
    return ok([DayTotalOut(day=r.day, orders=r.orders, gmv=r.gmv, fees=r.fees) for r in rows])
