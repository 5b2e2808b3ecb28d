"""``/v1/escrow/orders…``: thin handlers over :mod:`kro.escrow.service`.

Each route lists its own errors in ``responses=``; those of ``CurrentUser``, of the
``Idempotency-Key`` and of request validation are added by :mod:`kro.kit.openapi`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, File, Form, Query, Response, UploadFile, status

from kro.disputes.schemas import MessageOut
from kro.escrow import catalog, disputes, service
from kro.escrow.errors import (
    AmountBelowFee,
    ConditionNotFound,
    CurrencyNotSupported,
    EvidenceNotFound,
    FileTooLarge,
    NoOpenIssue,
    NotOrderParty,
    OrderNotCompleted,
    OrderNotFound,
    PaymentAlreadyReceived,
    SelfDealing,
    SellerNotFound,
    TemplateNotFound,
    UnsupportedFileType,
)
from kro.escrow.schemas import (
    CheckoutOut,
    MessageIn,
    OrderIn,
    OrderOut,
    OrderSummaryOut,
    PayIn,
    TemplateOut,
)
from kro.idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from kro.idempotency.routing import IdempotentRoute, idempotent, user_scope
from kro.identity.dependencies import AppSettings, CurrentUser
from kro.kit.api import Envelope, Pagination, ok
from kro.kit.deps import DbSession, FileStorage
from kro.kit.errors import InvalidIdempotencyKey, InvalidTransition
from kro.kit.openapi import error_responses, raises
from kro.ledger.errors import InsufficientFunds, LedgerBusy
from kro.payments.errors import NoProviderAvailable, PaymentRejected, ProvidersUnavailable

router = APIRouter(prefix="/v1/escrow/orders", tags=["escrow"], route_class=IdempotentRoute)
# Stripe's semantics on the POSTs that create or move something (DESIGN.md section 5): an
# optional Idempotency-Key replays the first answer, errors included, for 24 h.
_idempotency = idempotent(user_scope)
# The errors of the key, in the contract of every route that takes it. (Until
# kro.idempotency.routing declares them on its dependency itself.)
raises(InvalidIdempotencyKey, IdempotencyKeyReused, IdempotencyKeyInUse)(_idempotency.dependency)
IDEMPOTENT = [_idempotency]
# What a party's action on an order can meet: not their order, not their turn, not now.
ORDER_ACTION = (OrderNotFound, NotOrderParty, InvalidTransition)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=IDEMPOTENT,
    responses=error_responses(
        TemplateNotFound, CurrencyNotSupported, SellerNotFound, SelfDealing, AmountBelowFee
    ),
)
async def create_order(
    body: OrderIn, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[OrderOut]:
    """Create an order as the buyer, with its conditions. The platform fee is fixed now from
    ``KRO_ESCROW_FEE_*``. 422 ``seller_not_found`` / ``buyer_is_seller`` /
    ``currency_not_supported`` / ``amount_below_fee``; 404 ``template_not_found``."""
    order = await service.place_order(session, settings, user, *body.to_order())
    return ok(OrderOut.of(await service.view(session, order), user.id))


@router.get("")
async def list_orders(
    user: CurrentUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
) -> Envelope[list[OrderSummaryOut]]:
    """Orders where the caller is the buyer or the seller, newest first (cursor paginated)."""
    orders = await service.list_orders(session, user, limit=limit + 1, before=cursor)
    page = orders[:limit]
    items = [
        OrderSummaryOut(
            id=o.id,
            title=o.title,
            status=o.status,
            role="buyer" if o.buyer_id == user.id else "seller",
            amount=o.amount,
            currency=o.currency,
            created_at=o.created_at,
        )
        for o in page
    ]
    more = len(orders) > limit
    return ok(
        items,
        pagination=Pagination(
            limit=limit, has_more=more, next_cursor=page[-1].id if more else None
        ),
    )


@router.get("/{order_id}", responses=error_responses(OrderNotFound))
async def get_order(order_id: str, user: CurrentUser, session: DbSession) -> Envelope[OrderOut]:
    """One order with conditions, transitions, amounts held and released. 404 unless the
    caller is its buyer or seller."""
    return ok(OrderOut.of(await service.get_order(session, user, order_id), user.id))


async def _act(
    session: DbSession, user: CurrentUser, order_id: str, action: str, settings: AppSettings
) -> OrderOut:
    expiry = timedelta(seconds=settings.escrow_order_expiry)
    order = await service.act(session, user, order_id, action, expires_in=expiry)
    return OrderOut.of(await service.view(session, order), user.id)


@router.post("/{order_id}/accept", responses=error_responses(*ORDER_ACTION))
async def accept(
    order_id: str, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[OrderOut]:
    """Seller accepts (``created`` → ``accepted``)."""
    return ok(await _act(session, user, order_id, "accept", settings))


@router.post("/{order_id}/decline", responses=error_responses(*ORDER_ACTION))
async def decline(
    order_id: str, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[OrderOut]:
    """Seller declines (``created`` → ``declined``)."""
    return ok(await _act(session, user, order_id, "decline", settings))


@router.post(
    "/{order_id}/cancel",
    responses=error_responses(*ORDER_ACTION, PaymentAlreadyReceived, LedgerBusy),
)
async def cancel(
    order_id: str, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[OrderOut]:
    """Buyer cancels before funding (``created``/``accepted`` → ``cancelled``), or a funded
    order the seller has not started (→ ``refunded``, in full). 409
    ``payment_already_received`` while the payment is on its way."""
    return ok(await _act(session, user, order_id, "cancel", settings))


@router.post("/{order_id}/start", responses=error_responses(*ORDER_ACTION))
async def start(
    order_id: str, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[OrderOut]:
    """Seller starts the work (``funded`` → ``in_progress``)."""
    return ok(await _act(session, user, order_id, "start", settings))


@router.post("/{order_id}/complete", responses=error_responses(*ORDER_ACTION))
async def complete(
    order_id: str, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[OrderOut]:
    """Seller marks the work completed (``in_progress`` → ``completed``)."""
    return ok(await _act(session, user, order_id, "complete", settings))


@router.post(
    "/{order_id}/pay",
    dependencies=IDEMPOTENT,
    responses=error_responses(
        *ORDER_ACTION,
        PaymentAlreadyReceived,
        InsufficientFunds,
        LedgerBusy,
        NoProviderAvailable,
        PaymentRejected,
        ProvidersUnavailable,
    ),
)
async def pay(
    order_id: str,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    body: Annotated[PayIn | None, Body()] = None,
) -> Envelope[CheckoutOut]:
    """Buyer pays ``amount + buyer fee`` (order ``accepted``). ``method=card`` opens the
    Paystack checkout (calling again returns the same checkout while it is unpaid; the order
    becomes ``funded`` only after ``charge.success`` is verified); ``method=wallet`` pays from
    the buyer's KRO balance and funds the order at once (409 ``insufficient_funds``);
    ``method=bank_transfer`` returns a Providus account to transfer to."""
    method = body.method if body else "card"
    payment = await service.start_payment(
        session,
        settings,
        user,
        order_id,
        body.callback_url if body else None,
        method,
        provider=body.provider if body else None,
    )
    return ok(
        CheckoutOut(
            method=method,
            status=payment.status,
            authorization_url=payment.authorization_url,
            reference=payment.reference,
            amount=payment.amount,
            currency=payment.currency,
            bank_name="Providus Bank" if payment.virtual_account_number else None,
            account_number=payment.virtual_account_number,
            account_name=payment.virtual_account_name,
            account_expires_at=payment.virtual_account_expires_at,
        )
    )


@router.post(
    "/{order_id}/conditions/{condition_id}/fulfil",
    responses=error_responses(
        OrderNotFound, ConditionNotFound, NotOrderParty, OrderNotCompleted, LedgerBusy
    ),
)
async def fulfil(
    order_id: str, condition_id: str, user: CurrentUser, session: DbSession
) -> Envelope[OrderOut]:
    """Buyer marks a condition fulfilled (order ``completed``); the last one closes the order
    and releases the money to the seller's wallet, less the platform fee."""
    order = await service.fulfil_condition(session, user, order_id, condition_id)
    return ok(OrderOut.of(await service.view(session, order), user.id))


@router.post("/{order_id}/issues", responses=error_responses(*ORDER_ACTION))
async def report_issue(
    order_id: str, body: MessageIn, user: CurrentUser, session: DbSession
) -> Envelope[OrderOut]:
    """Buyer reports a problem (order ``in_progress`` or ``completed``): ``issue_reported``;
    the inspection period stops."""
    order = await disputes.report_issue(session, user, order_id, body.body)
    return ok(OrderOut.of(await service.view(session, order), user.id))


@router.post(
    "/{order_id}/messages",
    status_code=status.HTTP_201_CREATED,
    dependencies=IDEMPOTENT,
    responses=error_responses(OrderNotFound, NoOpenIssue),
)
async def post_message(
    order_id: str, body: MessageIn, user: CurrentUser, session: DbSession
) -> Envelope[MessageOut]:
    """A party's answer or note on an open issue or dispute. 409 ``no_open_issue``."""
    message = await disputes.post_message(session, user, order_id, body.body)
    return ok(MessageOut.model_validate(message))


@router.get("/{order_id}/messages", responses=error_responses(OrderNotFound))
async def list_messages(
    order_id: str, user: CurrentUser, session: DbSession
) -> Envelope[list[MessageOut]]:
    """The issue and dispute thread, oldest first."""
    rows = await disputes.messages(session, user, order_id)
    return ok([MessageOut.model_validate(m) for m in rows])


@router.post("/{order_id}/escalate", responses=error_responses(OrderNotFound, InvalidTransition))
async def escalate(
    order_id: str, body: MessageIn, user: CurrentUser, session: DbSession
) -> Envelope[OrderOut]:
    """Either party escalates an issue to a dispute (``disputed``) for an admin."""
    order = await disputes.escalate(session, user, order_id, body.body)
    return ok(OrderOut.of(await service.view(session, order), user.id))


@router.post("/{order_id}/release", responses=error_responses(*ORDER_ACTION, LedgerBusy))
async def release(order_id: str, user: CurrentUser, session: DbSession) -> Envelope[OrderOut]:
    """Buyer releases the money while an issue is open (``issue_reported`` → ``closed``)."""
    order = await disputes.buyer_release(session, user, order_id)
    return ok(OrderOut.of(await service.view(session, order), user.id))


EVIDENCE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/webp", "application/pdf", "text/plain"}
)


@router.post(
    "/{order_id}/evidence",
    status_code=status.HTTP_201_CREATED,
    dependencies=IDEMPOTENT,
    responses=error_responses(OrderNotFound, NoOpenIssue, FileTooLarge, UnsupportedFileType),
)
async def upload_evidence(
    order_id: str,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    storage: FileStorage,
    file: Annotated[UploadFile, File(description="PNG, JPEG, WebP, PDF or text")],
    note: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Envelope[MessageOut]:
    """Attach a file to an open issue or dispute (parties only). 413 ``file_too_large``;
    415 ``unsupported_file_type``; 409 ``no_open_issue``."""
    content_type = (file.content_type or "").split(";")[0].strip()
    if content_type not in EVIDENCE_TYPES:
        raise UnsupportedFileType(details={"content_type": content_type})
    data = await file.read(settings.evidence_max_bytes + 1)
    if len(data) > settings.evidence_max_bytes:
        raise FileTooLarge(details={"max_bytes": settings.evidence_max_bytes})
    message = await disputes.attach_evidence(
        session, storage, user, order_id, note, file.filename or "evidence", content_type, data
    )
    return ok(MessageOut.model_validate(message))


@router.get(
    "/{order_id}/messages/{message_id}/evidence",
    responses=error_responses(OrderNotFound, EvidenceNotFound),
)
async def download_evidence(
    order_id: str, message_id: str, user: CurrentUser, session: DbSession, storage: FileStorage
) -> Response:
    """The file attached to a message (parties only; 404 otherwise)."""
    message, data = await disputes.evidence_file(session, storage, user, order_id, message_id)
    return Response(
        content=data,
        media_type=message.evidence_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{message.evidence_name}"'},
    )


templates_router = APIRouter(prefix="/v1/escrow/condition-templates", tags=["escrow"])


@templates_router.get("")
async def condition_templates(user: CurrentUser, session: DbSession) -> Envelope[list[TemplateOut]]:
    """Ready-made conditions a buyer can use (``{"template_id": …}`` in ``conditions``)."""
    return ok([TemplateOut.model_validate(t) for t in await catalog.templates(session)])
