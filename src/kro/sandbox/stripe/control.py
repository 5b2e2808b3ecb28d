"""Control endpoints under ``/_sandbox`` — not Stripe's API; for tests, the demo and merchants
(no authentication: the sandbox is a test server).

- ``GET /_sandbox/webhooks?object_id=&type=&status=``: deliveries, newest first, with their
  attempts and bodies (Stripe's dashboard "Event deliveries").
- ``POST /_sandbox/webhooks/{id}/resend``: a new delivery of the same event (a duplicate).
- ``POST /_sandbox/tick``: one pass of the background loop now (expire overdue
  authorizations, settle due refunds, send due webhooks).
- ``POST /_sandbox/authorizations/expire[?payment_intent=pi_…]``: expire that uncaptured
  authorization now (its 7 days have passed), or every overdue one.
- ``GET|PUT|DELETE /_sandbox/faults``: the fault switch (:mod:`kro.sandbox.common.faults`).

Answers ``{"data": ...}``; errors in Stripe's shape.
"""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from kro.sandbox.common.control import newest
from kro.sandbox.common.service import session_dependency
from kro.sandbox.stripe import webhooks
from kro.sandbox.stripe.errors import no_such
from kro.sandbox.stripe.models import WebhookDelivery

if TYPE_CHECKING:
    from kro.sandbox.stripe.app import StripeSandbox


def build_control_router(sandbox: "StripeSandbox") -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["stripe sandbox control"])

    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    @router.get("/webhooks")
    async def list_webhooks(
        session: Db, object_id: str | None = None, type: str | None = None,
        status: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        rows = await newest(
            session, WebhookDelivery, object_id=object_id, event=type, status=status
        )
        return {"data": [webhooks.delivery_data(r) for r in rows]}

    @router.post("/webhooks/{delivery_id}/resend")
    async def resend(delivery_id: int, session: Db) -> dict[str, Any]:
        original = await session.get(WebhookDelivery, delivery_id)
        if original is None:
            raise no_such("webhook delivery", str(delivery_id))
        copy = await webhooks.resend(session, original)
        return {"data": webhooks.delivery_data(copy)}

    @router.post("/tick")
    async def tick() -> dict[str, Any]:
        return {"data": await sandbox.tick()}

    @router.post("/authorizations/expire")
    async def expire(session: Db, payment_intent: str | None = None) -> dict[str, Any]:
        expired = await sandbox.intents.expire_due(session, pi_id=payment_intent)
        return {"data": {"expired": expired}}

    return router
