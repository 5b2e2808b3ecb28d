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

from fastapi import APIRouter, File, Path, Query, UploadFile, status
from fastapi.responses import Response

from kro.idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from kro.idempotency.routing import IdempotentRoute, idempotent, user_scope
from kro.identity.dependencies import AppSettings, CurrentUser
from kro.kit.api import Envelope, Pagination, ok
from kro.kit.deps import DbSession, FileStorage
from kro.kit.errors import InvalidIdempotencyKey, InvalidTransition
from kro.kit.openapi import error_responses, raises
from kro.ledger.errors import LedgerBusy
from kro.marketplace import (
    cancellation,
    catalog,
    disputes,
    images,
    money,
    orders,
    purchases,
    reviews,
    sellers,
)
from kro.marketplace.admin_endpoints import admin_router
from kro.marketplace.errors import (
    CancellationPending,
    CategoryNotFound,
    ClearanceOver,
    ExtraNotFound,
    ImageRefused,
    InvalidExtras,
    InvalidPackages,
    InvalidServiceStatus,
    KycRequired,
    NoCancellationRequest,
    NoRevisionsLeft,
    NotLateEnough,
    NotOrderParty,
    OrderNotFound,
    PackageNotFound,
    PurchaseNotAllowed,
    RequirementsMissing,
    ReviewNotAllowed,
    SelfPurchase,
    ServiceNotFound,
)
from kro.marketplace.models import Order
from kro.marketplace.schemas import (
    BuyExtraIn,
    CancellationIn,
    CategoryOut,
    CheckoutOut,
    DeliveryIn,
    DisputeIn,
    EarningsOut,
    ExtrasIn,
    ImageOut,
    OrderIn,
    OrderOut,
    OrderSummaryOut,
    PayIn,
    ProfileIn,
    PurchaseOut,
    RequirementsIn,
    ReviewIn,
    ReviewOut,
    SellerOut,
    ServiceIn,
    ServiceOut,
    ServiceStatusIn,
    TipIn,
)
from kro.payments.errors import NoProviderAvailable, PaymentRejected, ProvidersUnavailable

router = APIRouter(tags=["marketplace"], route_class=IdempotentRoute)
_idempotency = idempotent(user_scope)
raises(InvalidIdempotencyKey, IdempotencyKeyReused, IdempotencyKeyInUse)(_idempotency.dependency)
IDEMPOTENT = [_idempotency]
ORDER_ACTION = (OrderNotFound, NotOrderParty, InvalidTransition)
LEVELS = "^(new|level_one|level_two|top_rated)$"
PREFIX = "/v1/marketplace"


@router.get(f"{PREFIX}/categories", responses=error_responses(CategoryNotFound))
async def list_categories(
    session: DbSession, parent_id: Annotated[str | None, Query(max_length=32)] = None
) -> Envelope[list[CategoryOut]]:
    """Every category (a tree through ``parent_id``), or the children of ``parent_id``."""
    return ok([CategoryOut.of(c) for c in await catalog.categories(session, parent_id)])


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
    min_seller_rating: Annotated[float | None, Query(ge=0, le=5)] = None,
    seller_level: Annotated[str | None, Query(pattern=LEVELS)] = None,
) -> Envelope[list[ServiceOut]]:
    """Active services by full-text query and filters (prices in minor units; the seller's
    average rating and level at least)."""
    query = catalog.Query(
        q,
        category_id,
        min_price,
        max_price,
        max_delivery_days,
        min_rating,
        sort,
        limit,
        cursor,
        min_seller_rating,
        seller_level,
    )
    rows, more = await catalog.search(session, query)
    pagination = Pagination(limit=limit, has_more=more is not None, next_cursor=more)
    return ok([ServiceOut.of(s) for s in rows], pagination=pagination)


@router.post(
    f"{PREFIX}/services",
    status_code=status.HTTP_201_CREATED,
    dependencies=IDEMPOTENT,
    responses=error_responses(CategoryNotFound, InvalidPackages, InvalidExtras, KycRequired),
)
async def create_service(
    body: ServiceIn, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[ServiceOut]:
    """List a service with one to three packages (one per tier) and optional extras;
    ``pending_review`` until an admin approves it when services are reviewed."""
    service = await catalog.create_service(
        session,
        user.id,
        body.to_spec(),
        kyc_to_list=settings.marketplace_kyc_to_list,
        review=settings.marketplace_review_services,
    )
    return ok(await ServiceOut.load(session, service))


@router.post(
    f"{PREFIX}/services/{{service_id}}/extras",
    status_code=status.HTTP_201_CREATED,
    dependencies=IDEMPOTENT,
    responses=error_responses(ServiceNotFound, InvalidExtras),
)
async def add_extras(
    service_id: str, body: ExtrasIn, user: CurrentUser, session: DbSession
) -> Envelope[ServiceOut]:
    """The seller adds extras to their service (404 for anyone else's; ten at most)."""
    specs = [e.to_spec() for e in body.extras]
    service = await catalog.add_extras(session, user.id, service_id, specs)
    return ok(await ServiceOut.load(session, service))


@router.post(
    f"{PREFIX}/services/{{service_id}}/images",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(ServiceNotFound, ImageRefused),
)
async def upload_image(
    service_id: str,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    storage: FileStorage,
    file: Annotated[UploadFile, File(description="PNG, JPEG or WebP; 5 MB; five at most")],
) -> Envelope[ImageOut]:
    """The seller adds an image to their service (404 for anyone else's)."""
    limit = settings.marketplace_image_max_bytes
    data = await file.read(limit + 1)
    image = await images.add(session, storage, user.id, service_id, data, limit)
    return ok(ImageOut.of(image))


@router.get(
    f"{PREFIX}/services/{{service_id}}/images/{{image_id}}",
    responses=error_responses(ServiceNotFound),
    response_class=Response,
)
async def get_image(
    service_id: str,
    image_id: str,
    session: DbSession,
    storage: FileStorage,
) -> Response:
    """An image's bytes while the service is active (404 otherwise)."""
    image, data = await images.read(session, storage, service_id, image_id)
    return Response(data, media_type=image.content_type, headers=IMAGE_HEADERS)


IMAGE_HEADERS = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}


@router.get(f"{PREFIX}/services/{{service_id}}", responses=error_responses(ServiceNotFound))
async def get_service(service_id: str, session: DbSession) -> Envelope[ServiceOut]:
    """An active service with its packages and extras."""
    service = await catalog.get_public(session, service_id)
    return ok(await ServiceOut.load(session, service))


@router.post(
    f"{PREFIX}/services/{{service_id}}/status",
    responses=error_responses(ServiceNotFound, InvalidServiceStatus),
)
async def set_service_status(
    service_id: str, body: ServiceStatusIn, user: CurrentUser, session: DbSession
) -> Envelope[ServiceOut]:
    """The seller pauses or reopens their service (404 for anyone else's)."""
    service = await catalog.set_status(session, user.id, service_id, body.status)
    return ok(await ServiceOut.load(session, service))


async def _out(session: DbSession, order: Order, viewer_id: str) -> OrderOut:
    return OrderOut.of(await orders.view(session, order), viewer_id)


@router.post(
    f"{PREFIX}/orders",
    status_code=status.HTTP_201_CREATED,
    dependencies=IDEMPOTENT,
    responses=error_responses(
        ServiceNotFound, PackageNotFound, ExtraNotFound, SelfPurchase, InvalidExtras
    ),
)
async def place_order(
    body: OrderIn, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[OrderOut]:
    """Order a package with extras (``extra_ids``); ``pending`` until paid (and expires
    unpaid)."""
    order = await orders.place_order(
        session, settings, user, body.service_id, body.package_id, body.extra_ids
    )
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
    return ok(CheckoutOut.of(payment))


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


PURCHASE_ERRORS = (
    OrderNotFound,
    NotOrderParty,
    PurchaseNotAllowed,
    NoProviderAvailable,
    PaymentRejected,
    ProvidersUnavailable,
)


@router.post(
    f"{PREFIX}/orders/{{order_id}}/extras",
    status_code=status.HTTP_201_CREATED,
    dependencies=IDEMPOTENT,
    responses=error_responses(*PURCHASE_ERRORS, ExtraNotFound),
)
async def buy_extra(
    order_id: str, body: BuyExtraIn, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[PurchaseOut]:
    """The buyer buys an extra on an order paid and not completed: its own checkout for
    price + service fee; once paid it is held with the order and adds its days/revisions."""
    row, payment = await purchases.buy_extra(
        session, settings, user, order_id, body.extra_id, body.callback_url
    )
    return ok(PurchaseOut.of(payment, row.id))


@router.post(
    f"{PREFIX}/orders/{{order_id}}/tip",
    status_code=status.HTTP_201_CREATED,
    dependencies=IDEMPOTENT,
    responses=error_responses(*PURCHASE_ERRORS),
)
async def tip(
    order_id: str, body: TipIn, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[PurchaseOut]:
    """The buyer tips the seller of a completed order (its own checkout); the seller gets
    it less ``KRO_MARKETPLACE_TIP_COMMISSION_BPS`` (default nothing), clearing like an
    order's earnings."""
    row, payment = await purchases.tip(
        session, settings, user, order_id, body.amount, body.callback_url
    )
    return ok(PurchaseOut.of(payment, row.id))


@router.post(
    f"{PREFIX}/orders/{{order_id}}/cancellation",
    responses=error_responses(OrderNotFound, InvalidTransition, CancellationPending),
)
async def request_cancellation(
    order_id: str, body: CancellationIn, user: CurrentUser, session: DbSession
) -> Envelope[OrderOut]:
    """Either party asks to cancel a paid order; the other agrees or declines (unanswered:
    accepted after ``KRO_MARKETPLACE_MUTUAL_CANCEL_TIMEOUT``, 48 h)."""
    order = await cancellation.request(session, user, order_id, body.reason)
    return ok(await _out(session, order, user.id))


@router.post(
    f"{PREFIX}/orders/{{order_id}}/cancellation/{{answer}}",
    responses=error_responses(*ORDER_ACTION, NoCancellationRequest, LedgerBusy),
)
async def answer_cancellation(
    order_id: str,
    answer: Annotated[str, Path(pattern="^(accept|decline)$")],
    user: CurrentUser,
    session: DbSession,
) -> Envelope[OrderOut]:
    """The other party accepts (cancelled, the buyer refunded in full) or declines."""
    order = await cancellation.answer(session, user, order_id, agree=answer == "accept")
    return ok(await _out(session, order, user.id))


@router.get(f"{PREFIX}/earnings")
async def my_earnings(user: CurrentUser, session: DbSession) -> Envelope[EarningsOut]:
    """The caller's pending clearance and available balance (withdraw via /v1/payouts)."""
    e = await money.earnings(session, user.id)
    return ok(
        EarningsOut(
            currency=e.currency, pending_clearance=e.pending_clearance, available=e.available
        )
    )


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


@router.post(f"{PREFIX}/profile/avatar", responses=error_responses(ServiceNotFound, ImageRefused))
async def upload_avatar(
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    storage: FileStorage,
    file: Annotated[UploadFile, File(description="PNG, JPEG or WebP; 5 MB")],
) -> Envelope[SellerOut]:
    """The caller's avatar on their seller profile (create the profile first)."""
    limit = settings.marketplace_image_max_bytes
    data = await file.read(limit + 1)
    profile = await images.set_avatar(session, storage, user.id, data, limit)
    return ok(SellerOut.of(profile, await sellers.stats(session, user.id)))


@router.get(
    f"{PREFIX}/sellers/{{seller_id}}/avatar",
    responses=error_responses(ServiceNotFound),
    response_class=Response,
)
async def get_avatar(seller_id: str, session: DbSession, storage: FileStorage) -> Response:
    """A seller's avatar (404 when none)."""
    content_type, data = await images.avatar(session, storage, seller_id)
    return Response(data, media_type=content_type, headers=IMAGE_HEADERS)


@router.get(f"{PREFIX}/sellers/{{seller_id}}", responses=error_responses(ServiceNotFound))
async def get_seller(seller_id: str, session: DbSession) -> Envelope[SellerOut]:
    """A seller's public profile, completed orders, rating, on-time share and level."""
    profile = await sellers.get_profile(session, seller_id)
    return ok(SellerOut.of(profile, await sellers.stats(session, seller_id)))


router.include_router(admin_router)
