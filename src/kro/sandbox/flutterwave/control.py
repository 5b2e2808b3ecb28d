"""Control endpoints under ``/_sandbox`` — not Flutterwave's API; for tests, the demo and
merchants testing their integration.

Authentication is optional: with ``Authorization: Bearer <secret key>`` they act on that
account's objects only, without it on every account's.

- ``GET /_sandbox/transactions/{key}``: a transaction by id, ``tx_ref`` or link token (as
  verify reports it).
- ``POST /_sandbox/transactions/{key}/pay`` | ``/decline``: the customer pays (the test card
  succeeds) or is declined, as on the hosted page; queues ``charge.completed``.
- ``GET /_sandbox/webhooks?tx_ref=&status=&event=``: deliveries, newest first, with attempts.
- ``POST /_sandbox/webhooks/{id}/resend``: a new delivery of the same bytes (a duplicate).
- ``POST /_sandbox/tick``: send due webhooks and complete due refunds now.
- ``GET|PUT|DELETE /_sandbox/faults``: the fault switch (:mod:`kro.sandbox.common.faults`).

Answers ``{"status": "success", "message", "data"}``; errors in Flutterwave's shape.
"""

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import Response
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.sandbox.common.control import newest, owned
from kro.sandbox.common.service import session_dependency
from kro.sandbox.flutterwave import transactions, webhooks
from kro.sandbox.flutterwave.api import merchant_of, success
from kro.sandbox.flutterwave.errors import not_found, transaction_not_found
from kro.sandbox.flutterwave.models import Transaction, WebhookDelivery

if TYPE_CHECKING:
    from kro.sandbox.flutterwave.app import FlutterwaveSandbox


def build_control_router(sandbox: "FlutterwaveSandbox") -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["flutterwave sandbox control"])
    config = sandbox.config

    def scope(authorization: Annotated[str | None, Header()] = None) -> int | None:
        return merchant_of(sandbox, authorization).account_id if authorization else None

    Scope = Annotated[int | None, Depends(scope)]
    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    async def find(session: AsyncSession, account_id: int | None, key: str) -> Transaction:
        matches = [Transaction.tx_ref == key, Transaction.token == key]
        if key.isdigit() and len(key) <= 18:
            matches.append(Transaction.id == int(key))
        query = select(Transaction).where(or_(*matches))
        if account_id is not None:
            query = query.where(Transaction.account_id == account_id)
        transaction = await session.scalar(query.with_for_update().limit(1))
        if transaction is None:
            raise transaction_not_found()
        return transaction

    def shown(t: Transaction) -> dict[str, object]:
        return transactions.transaction_data(t, config.by_account_id(t.account_id))

    @router.get("/transactions/{key}")
    async def show(key: str, account_id: Scope, session: Db) -> Response:
        return success("Transaction fetched", shown(await find(session, account_id, key)))

    @router.post("/transactions/{key}/pay")
    async def pay(key: str, account_id: Scope, session: Db) -> Response:
        t = await find(session, account_id, key)
        await transactions.complete(session, config, t, successful=True)
        return success("Payment successful", shown(t))

    @router.post("/transactions/{key}/decline")
    async def decline(key: str, account_id: Scope, session: Db) -> Response:
        t = await find(session, account_id, key)
        await transactions.complete(session, config, t, successful=False)
        return success("Payment failed", shown(t))

    @router.get("/webhooks")
    async def list_webhooks(
        account_id: Scope,
        session: Db,
        tx_ref: str | None = None,
        status: str | None = None,
        event: str | None = None,
    ) -> Response:
        rows = await newest(
            session,
            WebhookDelivery,
            account_id=account_id,
            tx_ref=tx_ref,
            status=status,
            event=event,
        )
        return success("Webhooks fetched", [webhooks.delivery_data(r) for r in rows])

    @router.post("/webhooks/{delivery_id}/resend")
    async def resend(delivery_id: int, account_id: Scope, session: Db) -> Response:
        original = await owned(session, WebhookDelivery, delivery_id, account_id=account_id)
        if original is None:
            raise not_found("Webhook not found")
        copy = await webhooks.resend(session, original)
        return success("Webhook queued", webhooks.delivery_data(copy))

    @router.post("/tick")
    async def tick() -> Response:
        return success("Tick done", await sandbox.tick())

    return router
