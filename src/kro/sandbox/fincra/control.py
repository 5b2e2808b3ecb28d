"""Control endpoints under ``/_sandbox`` — not Fincra's API; for tests, the demo and merchants.

Authentication: optional unless ``config.control_requires_auth``. Without ``api-key`` they
act on every business's checkouts; with it, on that business's only.

- ``GET /_sandbox/checkouts/{reference}``: a checkout by Fincra's or the merchant's reference
  (as verify reports it).
- ``POST /_sandbox/checkouts/{reference}/pay`` ``{amount?, method?}``: the customer pays —
  ``amount`` in **minor units** (default: exactly what was asked; another amount is an
  under- or over-payment, ``varianceType`` says which), ``method`` ``card`` (default) or
  ``bank_transfer``. Queues ``charge.successful``.
- ``GET /_sandbox/webhooks?reference=&status=``: deliveries, newest first, with attempts.
- ``POST /_sandbox/webhooks/{id}/resend``: a new delivery of the same bytes (a duplicate).
- ``POST /_sandbox/tick``: send due webhooks now.

Answers ``{"status": true, "message": ..., "data": ...}``; errors in Fincra's shape.
"""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.sandbox.common.control import newest, owned
from kro.sandbox.common.service import session_dependency
from kro.sandbox.fincra import checkouts, webhooks
from kro.sandbox.fincra.api import fincra_json, merchant_of, read_body
from kro.sandbox.fincra.errors import not_found, validation
from kro.sandbox.fincra.models import Checkout, WebhookDelivery

if TYPE_CHECKING:
    from kro.sandbox.fincra.app import FincraSandbox


def done(message: str, data: Any) -> Response:
    return fincra_json({"status": True, "message": message, "data": data})


def build_control_router(sandbox: "FincraSandbox") -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["fincra sandbox control"])
    config = sandbox.config

    def scope(api_key: Annotated[str | None, Header(alias="api-key")] = None) -> str | None:
        if api_key or config.control_requires_auth:
            return merchant_of(sandbox, api_key).business_id
        return None

    Scope = Annotated[str | None, Depends(scope)]
    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    async def find(session: AsyncSession, business_id: str | None, reference: str) -> Checkout:
        query = select(Checkout).where(
            or_(Checkout.reference == reference, Checkout.merchant_reference == reference)
        )
        if business_id is not None:
            query = query.where(Checkout.business_id == business_id)
        checkout = await session.scalar(query.with_for_update().limit(1))
        if checkout is None:
            raise not_found("Checkout not found")
        return checkout

    @router.get("/checkouts/{reference}")
    async def show(reference: str, business_id: Scope, session: Db) -> Response:
        checkout = await find(session, business_id, reference)
        return done("Checkout retrieved", checkouts.payment_data(checkout))

    @router.post("/checkouts/{reference}/pay")
    async def pay(reference: str, request: Request, business_id: Scope, session: Db) -> Response:
        body = await read_body(request)
        amount = body.get("amount")
        if amount is not None and (
            isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0
        ):
            raise validation("amount must be a positive integer (minor units)")
        method = body.get("method") or "card"
        if method not in ("card", "bank_transfer"):
            raise validation("method must be card or bank_transfer")
        checkout = await find(session, business_id, reference)
        await checkouts.pay(session, checkout, method=method, amount_received=amount)
        return done("Payment successful", checkouts.payment_data(checkout))

    @router.get("/webhooks")
    async def list_webhooks(
        business_id: Scope, session: Db, reference: str | None = None, status: str | None = None
    ) -> Response:
        rows = await newest(
            session, WebhookDelivery, business_id=business_id, reference=reference, status=status
        )
        return done("Webhooks retrieved", [webhooks.delivery_data(r) for r in rows])

    @router.post("/webhooks/{delivery_id}/resend")
    async def resend(delivery_id: int, business_id: Scope, session: Db) -> Response:
        original = await owned(session, WebhookDelivery, delivery_id, business_id=business_id)
        if original is None:
            raise not_found("Webhook not found")
        copy = await webhooks.resend(session, original)
        return done("Webhook queued", webhooks.delivery_data(copy))

    @router.post("/tick")
    async def tick() -> Response:
        return done("Tick done", await sandbox.tick())

    return router
