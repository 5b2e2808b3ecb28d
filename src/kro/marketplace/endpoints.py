"""The JSON API of ``kro.marketplace``: thin handlers over :mod:`.catalog` and
:mod:`.orders`. Each route lists its errors in ``responses=``; those of ``CurrentUser``, the
``Idempotency-Key`` and request validation are added by :mod:`kro.kit.openapi`.

- ``/v1/marketplace/categories`` (GET; POST admin), ``/v1/marketplace/services`` (search,
  create, get, pause/reopen), ``/v1/marketplace/orders`` (place, pay, requirements,
  deliver, revision, accept, cancel), ``/v1/marketplace/earnings``;
- ``/v1/admin/marketplace/orders/{id}/cancel|refund``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from kro.idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from kro.idempotency.routing import IdempotentRoute, idempotent, user_scope
from kro.identity.dependencies import AdminUser, AppSettings, ClientIp, CurrentUser
from kro.identity.errors import TotpRequired
from kro.kit.api import Envelope, Pagination, ok
from kro.kit.deps import DbSession
from kro.kit.errors import InvalidIdempotencyKey, InvalidTransition
from kro.kit.openapi import error_responses, raises
from kro.ledger.errors import LedgerBusy
from kro.marketplace import catalog, disputes, orders, reviews, sellers, timers
from kro.marketplace.errors import (
    CategoryNotFound,
    ClearanceOver,
    InvalidPackages,
    InvalidServiceStatus,
    InvalidSplit,
    KycRequired,
    NoRevisionsLeft,
    NotLateEnough,
    NotOrderParty,
    OrderNotFound,
    PackageNotFound,
    RequirementsMissing,
    ReviewNotAllowed,
    SandboxOnly,
    SelfPurchase,
    ServiceNotFound,
)
from kro.marketplace.models import Order
from kro.marketplace.schemas import (
    AdminMoneyIn,
    AdvanceIn,
    CategoryIn,
    CategoryOut,
    CheckoutOut,
    DeliveryIn,
    DisputeIn,
    EarningsOut,
    OrderIn,
    OrderOut,
    OrderSummaryOut,
    PayIn,
    ProfileIn,
    RequirementsIn,
    ResolveIn,
    ReviewIn,
    ReviewOut,
    SellerOut,
    ServiceIn,
    ServiceOut,
    ServiceStatusIn,
)
from kro.payments.errors import NoProviderAvailable, PaymentRejected, ProvidersUnavailable

router = APIRouter(tags=["marketplace"], route_class=IdempotentRoute)
_idempotency = idempotent(user_scope)
raises(InvalidIdempotencyKey, IdempotencyKeyReused, IdempotencyKeyInUse)(_idempotency.dependency)
IDEMPOTENT = [_idempotency]
ORDER_ACTION = (OrderNotFound, NotOrderParty, InvalidTransition)
PREFIX = "/v1/marketplace"


@router.get(f"{PREFIX}/categories", responses=error_responses(CategoryNotFound))
async def list_categories(
    session: DbSession, parent_id: Annotated[str | None, Query(max_length=32)] = None
) -> Envelope[list[CategoryOut]]:
    """Every category (a tree through ``parent_id``), or the children of ``parent_id``."""
    return ok([CategoryOut.of(c) for c in await catalog.categories(session, parent_id)])


@router.post(
    "/v1/admin/marketplace/categories",
    status_code=status.HTTP_201_CREATED,
    tags=["admin: marketplace"],
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


@router.get(f"{PREFIX}/services")
async def search_services(
    session: DbSession,
    q: Annotated[str, Query(max_length=200)] = "",
    category_id: Annotated[str | None, Query(max_length=32)] = None,
    min_price: Annotated[int | None, Query(ge=0)] = None,
    max_price: Annotated[int | None, Query(ge=0)] = None,
    max_delivery_days: Annotated[int | None, Query(ge=1)] = None,
    min_rating: Annotated[float | None, Query(ge=0, le=5)] = None,
    sort: Annotated[str, Query(pattern="^(relevance|rating|price|newest)$")] = "relevance",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=12)] = None,
) -> Envelope[list[ServiceOut]]:
    """Active services by full-text query and filters (prices in minor units)."""
    query = catalog.Query(
        q, category_id, min_price, max_price, max_delivery_days, min_rating, sort, limit, cursor
    )
    rows, more = await catalog.search(session, query)
    pagination = Pagination(limit=limit, has_more=more is not None, next_cursor=more)
    return ok([ServiceOut.of(s) for s in rows], pagination=pagination)


@router.post(
    f"{PREFIX}/services",
    status_code=status.HTTP_201_CREATED,
    dependencies=IDEMPOTENT,
    responses=error_responses(CategoryNotFound, InvalidPackages, KycRequired),
)
async def create_service(
    body: ServiceIn, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[ServiceOut]:
    """List a service with one to three packages (one per tier)."""
    service = await catalog.create_service(
        session, user.id, body.to_spec(), kyc_to_list=settings.marketplace_kyc_to_list
    )
    return ok(ServiceOut.of(service, await catalog.packages(session, service.id)))


@router.get(f"{PREFIX}/services/{{service_id}}", responses=error_responses(ServiceNotFound))
async def get_service(service_id: str, session: DbSession) -> Envelope[ServiceOut]:
    """An active service with its packages."""
    service = await catalog.get_public(session, service_id)
    return ok(ServiceOut.of(service, await catalog.packages(session, service.id)))


@router.post(
    f"{PREFIX}/services/{{service_id}}/status",
    responses=error_responses(ServiceNotFound, InvalidServiceStatus),
)
async def set_service_status(
    service_id: str, body: ServiceStatusIn, user: CurrentUser, session: DbSession
) -> Envelope[ServiceOut]:
    """The seller pauses or reopens their service (404 for anyone else's)."""
    service = await catalog.set_status(session, user.id, service_id, body.status)
    return ok(ServiceOut.of(service, await catalog.packages(session, service.id)))


async def _out(session: DbSession, order: Order, viewer_id: str) -> OrderOut:
    return OrderOut.of(await orders.view(session, order), viewer_id)


@router.post(
    f"{PREFIX}/orders",
    status_code=status.HTTP_201_CREATED,
    dependencies=IDEMPOTENT,
    responses=error_responses(ServiceNotFound, PackageNotFound, SelfPurchase),
)
async def place_order(
    body: OrderIn, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[OrderOut]:
    """Order a package; the order is ``pending`` until paid (and expires unpaid)."""
    order = await orders.place_order(session, settings, user, body.service_id, body.package_id)
    return ok(await _out(session, order, user.id))


@router.get(f"{PREFIX}/orders")
async def list_orders(
    user: CurrentUser,
    session: DbSession,
    role: Annotated[str | None, Query(pattern="^(buyer|seller)$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
) -> Envelope[list[OrderSummaryOut]]:
    """The caller's orders, newest first (cursor paginated)."""
    rows = await orders.list_orders(session, user, role=role, limit=limit + 1, before=cursor)
    page, more = rows[:limit], len(rows) > limit
    pagination = Pagination(limit=limit, has_more=more, next_cursor=page[-1].id if more else None)
    return ok([OrderSummaryOut.of(o, user.id) for o in page], pagination=pagination)


@router.get(f"{PREFIX}/orders/{{order_id}}", responses=error_responses(OrderNotFound))
async def get_order(order_id: str, user: CurrentUser, session: DbSession) -> Envelope[OrderOut]:
    """One order (404 unless the caller is its buyer or seller)."""
    order = await orders.load_for(session, user, order_id, lock=False)
    return ok(await _out(session, order, user.id))


@router.post(
    f"{PREFIX}/orders/{{order_id}}/pay",
    dependencies=IDEMPOTENT,
    responses=error_responses(
        *ORDER_ACTION, NoProviderAvailable, PaymentRejected, ProvidersUnavailable
    ),
)
async def pay(
    order_id: str,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    body: PayIn | None = None,
) -> Envelope[CheckoutOut]:
    """The buyer's hosted checkout for price + service fee."""
    payment = await orders.start_payment(
        session, settings, user, order_id, body.callback_url if body else None
    )
    return ok(
        CheckoutOut(
            status=payment.status,
            authorization_url=payment.authorization_url,
            reference=payment.reference,
            amount=payment.amount,
            currency=payment.currency,
        )
    )


@router.post(
    f"{PREFIX}/orders/{{order_id}}/requirements",
    responses=error_responses(*ORDER_ACTION, RequirementsMissing),
)
async def submit_requirements(
    order_id: str, body: RequirementsIn, user: CurrentUser, session: DbSession
) -> Envelope[OrderOut]:
    """The buyer answers the requirements; the work starts (``paid`` → ``in_progress``)."""
    order = await orders.submit_requirements(session, user, order_id, body.answers)
    return ok(await _out(session, order, user.id))


@router.post(f"{PREFIX}/orders/{{order_id}}/deliver", responses=error_responses(*ORDER_ACTION))
async def deliver(
    order_id: str, body: DeliveryIn, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[OrderOut]:
    """The seller delivers (``in_progress`` → ``delivered``); auto-complete clock starts."""
    order = await orders.deliver(session, settings, user, order_id, body.message)
    return ok(await _out(session, order, user.id))


@router.post(
    f"{PREFIX}/orders/{{order_id}}/revision",
    responses=error_responses(*ORDER_ACTION, NoRevisionsLeft),
)
async def request_revision(
    order_id: str, body: DeliveryIn, user: CurrentUser, session: DbSession
) -> Envelope[OrderOut]:
    """The buyer asks for changes (``delivered`` → ``in_progress``)."""
    order = await orders.request_revision(session, user, order_id, body.message)
    return ok(await _out(session, order, user.id))


@router.post(
    f"{PREFIX}/orders/{{order_id}}/accept",
    responses=error_responses(*ORDER_ACTION, LedgerBusy),
)
async def accept(
    order_id: str, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[OrderOut]:
    """The buyer accepts the delivery: completed; the seller's share starts clearing."""
    order = await orders.accept(session, settings, user, order_id)
    return ok(await _out(session, order, user.id))


@router.post(
    f"{PREFIX}/orders/{{order_id}}/cancel",
    responses=error_responses(*ORDER_ACTION, NotLateEnough, LedgerBusy),
)
async def cancel(
    order_id: str, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[OrderOut]:
    """The buyer cancels an unpaid order, or a late one after the grace (full refund)."""
    order = await orders.cancel(session, settings, user, order_id)
    return ok(await _out(session, order, user.id))


@router.get(f"{PREFIX}/earnings")
async def my_earnings(user: CurrentUser, session: DbSession) -> Envelope[EarningsOut]:
    """The caller's pending clearance and available balance (withdraw via /v1/payouts)."""
    e = await orders.earnings(session, user.id)
    return ok(
        EarningsOut(
            currency=e.currency, pending_clearance=e.pending_clearance, available=e.available
        )
    )


@router.post(
    "/v1/admin/marketplace/orders/{order_id}/cancel",
    tags=["admin: marketplace"],
    responses=error_responses(OrderNotFound, InvalidTransition, LedgerBusy, TotpRequired),
)
async def admin_cancel(
    order_id: str, body: AdminMoneyIn, admin: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[OrderOut]:
    """Cancel a paid, not completed order and refund the buyer in full."""
    order = await orders.admin_cancel(session, admin, order_id, body.reason, body.totp_code, ip)
    return ok(await _out(session, order, admin.id))


@router.post(
    "/v1/admin/marketplace/orders/{order_id}/refund",
    tags=["admin: marketplace"],
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


@router.post(
    f"{PREFIX}/orders/{{order_id}}/reviews",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(OrderNotFound, ReviewNotAllowed),
)
async def review_order(
    order_id: str, body: ReviewIn, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[ReviewOut]:
    """Review a completed order (double-blind: hidden until both sides are in or the
    window closes)."""
    review = await reviews.submit(
        session, user, order_id, body.rating, body.comment, settings.marketplace_review_window
    )
    return ok(ReviewOut.of(review))


@router.get(f"{PREFIX}/orders/{{order_id}}/reviews", responses=error_responses(OrderNotFound))
async def order_reviews(
    order_id: str, user: CurrentUser, session: DbSession
) -> Envelope[list[ReviewOut]]:
    """The order's reviews the caller may see (their own; the other's once published)."""
    order = await orders.load_for(session, user, order_id, lock=False)
    return ok([ReviewOut.of(r) for r in await reviews.for_order(session, order, user.id)])


@router.get(f"{PREFIX}/services/{{service_id}}/reviews", responses=error_responses(ServiceNotFound))
async def service_reviews(service_id: str, session: DbSession) -> Envelope[list[ReviewOut]]:
    """A service's published buyer reviews, newest first."""
    service = await catalog.get_public(session, service_id)
    return ok([ReviewOut.of(r) for r in await reviews.for_service(session, service.id)])


@router.post(
    "/v1/admin/marketplace/orders/{order_id}/advance-clock",
    tags=["admin: marketplace"],
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


@router.post(
    f"{PREFIX}/orders/{{order_id}}/dispute",
    responses=error_responses(OrderNotFound, InvalidTransition, ClearanceOver),
)
async def open_dispute(
    order_id: str, body: DisputeIn, user: CurrentUser, session: DbSession
) -> Envelope[OrderOut]:
    """Either party disputes: a paid order not completed becomes ``disputed`` (timers stop);
    a completed one's earnings are frozen. The reason goes to the order's conversation."""
    order = await disputes.open_dispute(session, user, order_id, body.reason)
    return ok(await _out(session, order, user.id))


@router.post(
    "/v1/admin/marketplace/orders/{order_id}/resolve",
    tags=["admin: marketplace"],
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


@router.put(f"{PREFIX}/profile", responses=error_responses(ServiceNotFound))
async def save_profile(
    body: ProfileIn, user: CurrentUser, session: DbSession
) -> Envelope[SellerOut]:
    """Create or replace the caller's seller profile."""
    spec = sellers.ProfileSpec(
        body.display_name,
        body.headline,
        body.bio,
        tuple(body.skills),
        tuple(body.languages),
        body.country,
        body.state,
    )
    profile = await sellers.save_profile(session, user.id, spec)
    return ok(SellerOut.of(profile, await sellers.stats(session, user.id)))


@router.get(f"{PREFIX}/sellers/{{seller_id}}", responses=error_responses(ServiceNotFound))
async def get_seller(seller_id: str, session: DbSession) -> Envelope[SellerOut]:
    """A seller's public profile, completed orders, rating, on-time share and level."""
    profile = await sellers.get_profile(session, seller_id)
    return ok(SellerOut.of(profile, await sellers.stats(session, seller_id)))
