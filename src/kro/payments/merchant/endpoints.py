"""The merchant API's payments and refunds (seed 003 §6.1–6.3), authenticated by a secret
API key (``Authorization: Bearer sk_test_…|sk_live_…``) and scoped to its tenant and mode:
another tenant's id, or the other mode's, is 404. Thin handlers over
:mod:`kro.payments.merchant.service` and :mod:`kro.payments.refunds.service`. Every POST honours
``Idempotency-Key`` (Stripe's semantics, kro.idempotency).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Request, status

from kro.idempotency.routing import IdempotentRoute
from kro.identity.dependencies import ApiKeyIdempotency, AppSettings, ClientIp, CurrentTenant
from kro.kit.api import Envelope, Pagination, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.ledger.errors import InsufficientFunds
from kro.payments.errors import (
    CaptureTooLarge,
    DuplicateReference,
    NoProviderAvailable,
    NotCapturable,
    NotRefundable,
    PaymentNotFound,
    PaymentRejected,
    ProvidersUnavailable,
    RefundExceedsCaptured,
    RefundNotFound,
)
from kro.payments.merchant import service as merchant
from kro.payments.refunds import service as refunds
from kro.payments.schemas import (
    CaptureIn,
    PaymentEventOut,
    PaymentIn,
    PaymentOut,
    ProviderHealthOut,
    RefundIn,
    RefundOut,
)
from kro.providers.errors import (
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    UnknownProvider,
)

router = APIRouter(tags=["merchant API: payments"], route_class=IdempotentRoute)


def _actor(ctx: CurrentTenant) -> str:
    return f"api_key:{ctx.key.id}"


@router.post(
    "/v1/payments",
    responses=error_responses(
        DuplicateReference,
        NoProviderAvailable,
        UnknownProvider,
        PaymentRejected,
        ProvidersUnavailable,
    ),
    status_code=status.HTTP_201_CREATED,
    dependencies=[ApiKeyIdempotency],
)
async def create_payment(
    body: PaymentIn, ctx: CurrentTenant, request: Request, session: DbSession
) -> Envelope[PaymentOut]:
    """Take a payment: routed to the tenant's providers (rules, then default order), failing
    over only when a provider certainly did not accept it. Returns the payment with ``status``
    (``requires_action`` with ``next_action.url`` for a hosted checkout; ``processing`` when the
    provider's answer was lost — reconciliation settles it; never charged twice).

    Errors: 409 ``duplicate_reference``; 422 ``no_provider_available`` / ``validation_error``;
    402 ``payment_rejected`` and 503 ``providers_unavailable`` (the failed payment is kept;
    its id is in ``error.details.payment_id``); 409 ``idempotency_key_in_use``; 422
    ``idempotency_key_reused``.
    """
    customer = body.customer
    new = merchant.NewPayment(
        tenant_id=ctx.tenant_id,
        mode=ctx.mode,
        actor=_actor(ctx),
        amount=body.amount,
        currency=body.currency,
        email=str(customer.email),
        name=customer.name,
        phone=customer.phone,
        merchant_reference=body.reference,
        provider=body.provider,
        capture_method=body.capture_method,
        channel=body.channel,
        description=body.description,
        metadata=body.metadata or {},
        callback_url=body.callback_url,
    )
    # The app's settings from its state: AppSettings is a plain function, which FastAPI would
    # run in a worker thread (a thread hop on every payment).
    state = request.app.state
    payment = await merchant.create_payment(session, state.sessions, state.settings, new)
    return ok(PaymentOut.of(payment))


@router.get("/v1/payments")
async def list_payments(
    ctx: CurrentTenant,
    session: DbSession,
    status_: str | None = Query(None, alias="status", max_length=24),
    provider: str | None = Query(None, max_length=16),
    currency: str | None = Query(None, pattern=r"^[A-Za-z]{3}$"),
    reference: str | None = Query(None, max_length=100),
    created_gte: datetime | None = None,
    created_lt: datetime | None = None,
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, max_length=32),
) -> Envelope[list[PaymentOut]]:
    """The key's tenant's payments in its mode, newest first; pass ``meta.pagination.
    next_cursor`` as ``cursor`` for the next page."""
    filters = merchant.PaymentFilter(
        status_, provider, currency, reference, created_gte, created_lt
    )
    page, more = await merchant.list_payments(
        session, ctx.tenant_id, ctx.mode, filters, limit=limit, cursor=cursor
    )
    return ok(
        [PaymentOut.of(p) for p in page],
        pagination=Pagination(
            limit=limit, has_more=more, next_cursor=page[-1].id if more else None
        ),
    )


@router.get("/v1/payments/{payment_id}", responses=error_responses(PaymentNotFound))
async def get_payment(
    payment_id: str, ctx: CurrentTenant, session: DbSession
) -> Envelope[PaymentOut]:
    """One payment. 404 ``payment_not_found`` for another tenant's or mode's."""
    return ok(
        PaymentOut.of(await merchant.get_payment(session, ctx.tenant_id, ctx.mode, payment_id))
    )


@router.get("/v1/payments/{payment_id}/events", responses=error_responses(PaymentNotFound))
async def list_payment_events(
    payment_id: str, ctx: CurrentTenant, session: DbSession
) -> Envelope[list[PaymentEventOut]]:
    """The payment's status transitions, oldest first (who, when, from, to, why). 404
    ``payment_not_found``."""
    payment = await merchant.get_payment(session, ctx.tenant_id, ctx.mode, payment_id)
    events = await merchant.payment_events(session, payment)
    return ok([PaymentEventOut.model_validate(e, from_attributes=True) for e in events])


@router.post(
    "/v1/payments/{payment_id}/capture",
    responses=error_responses(
        PaymentNotFound,
        NotCapturable,
        CaptureTooLarge,
        ProviderRejected,
        ProviderUnavailable,
        ProviderTimeout,
    ),
    dependencies=[ApiKeyIdempotency],
)
async def capture_payment(
    payment_id: str,
    body: CaptureIn,
    ctx: CurrentTenant,
    request: Request,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[PaymentOut]:
    """Capture an authorized payment (``capture_method: manual``), all or ``amount`` minor
    units of it; the rest is released. Errors: 404 ``payment_not_found``; 409
    ``payment_not_capturable``; 422 ``capture_exceeds_authorized``; 502/503/504 provider errors
    (safe to retry: the capture carries an idempotency key)."""
    payment = await merchant.capture_payment(
        session,
        request.app.state.sessions,
        settings,
        tenant_id=ctx.tenant_id,
        mode=ctx.mode,
        payment_id=payment_id,
        amount=body.amount,
        actor=_actor(ctx),
    )
    return ok(PaymentOut.of(payment))


@router.post(
    "/v1/payments/{payment_id}/refunds",
    responses=error_responses(
        PaymentNotFound, NotRefundable, RefundExceedsCaptured, InsufficientFunds
    ),
    status_code=status.HTTP_201_CREATED,
    dependencies=[ApiKeyIdempotency],
)
async def create_refund(
    payment_id: str, body: RefundIn, ctx: CurrentTenant, session: DbSession, ip: ClientIp
) -> Envelope[RefundOut]:
    """Refund all (default) or ``amount`` minor units of a completed payment; ``pending``
    until the provider confirms (``refund.completed`` / ``refund.failed`` webhooks follow).
    Errors: 404 ``payment_not_found``; 409 ``payment_not_refundable``,
    ``refund_exceeds_captured``, ``insufficient_funds`` (the balance cannot cover it)."""
    refund = await refunds.create_refund(
        session,
        tenant_id=ctx.tenant_id,
        mode=ctx.mode,
        payment_id=payment_id,
        amount=body.amount,
        reason=body.reason,
        actor=_actor(ctx),
        ip=ip,
    )
    return ok(RefundOut.of(refund))


@router.get("/v1/payments/{payment_id}/refunds", responses=error_responses(PaymentNotFound))
async def list_refunds(
    payment_id: str, ctx: CurrentTenant, session: DbSession
) -> Envelope[list[RefundOut]]:
    """The payment's refunds, oldest first. 404 ``payment_not_found``."""
    payment = await merchant.get_payment(session, ctx.tenant_id, ctx.mode, payment_id)
    return ok([RefundOut.of(r) for r in await refunds.refunds_for(session, payment.id)])


@router.get("/v1/refunds")
async def list_all_refunds(
    ctx: CurrentTenant,
    session: DbSession,
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, max_length=64),
) -> Envelope[list[RefundOut]]:
    """The key's tenant's refunds in its mode, newest first; pass ``meta.pagination.
    next_cursor`` as ``cursor`` for the next page."""
    page, more = await merchant.list_refunds(
        session, ctx.tenant_id, ctx.mode, limit=limit, cursor=cursor
    )
    return ok(
        [RefundOut.of(r) for r in page],
        pagination=Pagination(
            limit=limit, has_more=more, next_cursor=page[-1].id if more else None
        ),
    )


@router.get("/v1/refunds/{refund_id}", responses=error_responses(RefundNotFound))
async def get_refund(refund_id: str, ctx: CurrentTenant, session: DbSession) -> Envelope[RefundOut]:
    """One refund. 404 ``refund_not_found`` for another tenant's or mode's."""
    return ok(RefundOut.of(await refunds.get_refund(session, ctx.tenant_id, ctx.mode, refund_id)))


@router.get("/v1/providers/health")
async def providers_health(
    ctx: CurrentTenant, settings: AppSettings
) -> Envelope[list[ProviderHealthOut]]:
    """Each provider's circuit breaker in the key's mode: ``closed`` (healthy), ``opened``
    (failing: skipped by routing until it is probed again), ``half-opened`` (probing)."""
    found = await merchant.providers_health(settings, ctx.mode)
    return ok(
        [
            ProviderHealthOut(
                provider=h.provider,
                mode=h.mode,
                state=h.state,
                available=h.available,
                failure_count=h.failure_count,
                opened_at=h.opened_at,
            )
            for h in found
        ]
    )
