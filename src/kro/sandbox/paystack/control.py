"""Control endpoints under ``/_sandbox`` — not Paystack's API; for tests, the demo and merchants.

Authentication: optional unless ``config.control_requires_key``. Without ``Authorization``
they act on the first configured key's integration (lists show every integration); with
``Bearer <secret key>`` on that key's integration only.

- ``GET /_sandbox/webhooks?event=&reference=&status=``: deliveries, newest first, with
  their attempts and parsed payload.
- ``POST /_sandbox/webhooks/{id}/resend``: a new delivery with the same bytes (a duplicate).
- ``POST /_sandbox/webhooks`` ``{event, data}``: send any event, signed.
- ``POST /_sandbox/webhooks/charge-success`` ``{reference, amount?, currency?}``: send a
  ``charge.success`` for ``reference``, built from the stored transaction when there is one
  (else a made-up one), with ``amount``/``currency`` overridden; no state changes.
- ``POST /_sandbox/transfers/{reference}/{outcome}``: ``success`` | ``failed`` | ``reversed``
  now (pending → any; success → reversed), with its webhook; else 409.
- ``POST /_sandbox/tick``: settle due transfers, process due refunds, send due webhooks now.
- ``GET /_sandbox/balance``, ``PUT /_sandbox/balance`` ``{currency, balance}``: read or set
  the balance (kobo).

Answers use Paystack's envelope ``{"status": true, "message": ..., "data": ...}``.
"""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.sandbox.common.control import newest, owned
from kro.sandbox.common.service import session_dependency
from kro.sandbox.paystack import balances, charges, inputs, transfers, webhooks
from kro.sandbox.paystack.api import integration_of, ok
from kro.sandbox.paystack.errors import PaystackApiError
from kro.sandbox.paystack.models import Customer, Transaction, WebhookDelivery
from kro.sandbox.paystack.shapes import TEST_CARD_AUTHORIZATION, transaction_data
from kro.sandbox.paystack.util import iso

if TYPE_CHECKING:
    from kro.sandbox.paystack.app import PaystackSandbox

_OUTCOMES = {"success": "success", "fail": "failed", "failed": "failed",
             "reverse": "reversed", "reversed": "reversed"}  # fmt: skip


def build_control_router(sandbox: "PaystackSandbox") -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["paystack sandbox control"])
    config = sandbox.config
    default_integration = sandbox.integrations[config.secret_keys[0]]

    def scope(authorization: Annotated[str | None, Header()] = None) -> int | None:
        if authorization or config.control_requires_key:
            return integration_of(sandbox, authorization)
        return None

    Scope = Annotated[int | None, Depends(scope)]
    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    @router.get("/webhooks")
    async def list_deliveries(
        integration: Scope,
        session: Db,
        event: str | None = None,
        reference: str | None = None,
        status: str | None = None,
    ) -> JSONResponse:
        rows = await newest(
            session,
            WebhookDelivery,
            integration=integration,
            event=event,
            reference=reference,
            status=status,
        )
        return ok("Deliveries retrieved", [webhooks.delivery_data(r) for r in rows])

    @router.post("/webhooks/{delivery_id}/resend")
    async def resend(delivery_id: int, integration: Scope, session: Db) -> JSONResponse:
        original = await owned(session, WebhookDelivery, delivery_id, integration=integration)
        if original is None:
            raise PaystackApiError("Delivery not found", http_status=404, code=None)
        copy = await webhooks.resend(session, original)
        return ok("Webhook queued", webhooks.delivery_data(copy))

    @router.post("/webhooks")
    async def send_any(request: Request, integration: Scope, session: Db) -> JSONResponse:
        body = await inputs.read_body(request)
        event = inputs.required_str(body, "event", "event is required")
        data = body.get("data")
        if not isinstance(data, dict):
            raise PaystackApiError("data must be an object", code="invalid_params")
        reference = data.get("reference")
        delivery = await webhooks.enqueue(
            session,
            integration=integration or default_integration,
            event=event,
            data=data,
            reference=str(reference) if reference is not None else None,
        )
        return ok("Webhook queued", webhooks.delivery_data(delivery))

    @router.post("/webhooks/charge-success")
    async def charge_success(request: Request, integration: Scope, session: Db) -> JSONResponse:
        body = await inputs.read_body(request)
        reference = inputs.required_str(body, "reference", "reference is required")
        owner = integration or default_integration
        data = await _charge_success_data(session, owner, reference)
        if body.get("amount") not in (None, ""):
            data["amount"] = inputs.amount(body.get("amount"))
        if body.get("currency"):
            data["currency"] = str(body["currency"]).upper()
        delivery = await webhooks.enqueue(
            session, integration=owner, event="charge.success", data=data, reference=reference
        )
        return ok("Webhook queued", webhooks.delivery_data(delivery))

    async def _charge_success_data(
        session: AsyncSession, integration: int, reference: str
    ) -> dict[str, Any]:
        tx = await session.scalar(
            select(Transaction).where(
                Transaction.integration == integration, Transaction.reference == reference
            )
        )
        if tx is not None:
            customer = await charges.customer_of(session, tx)
            data = transaction_data(tx, customer, domain=config.domain, camel=False)
            data.update(status="success", gateway_response="Successful")
            data["paid_at"] = data["paid_at"] or iso(clock.now())
            return data
        now = clock.now()
        fake = Transaction(
            id=0, reference=reference, amount=10_000, currency="NGN", status="success",
            gateway_response="Successful", channel="card", fees=150, paid_at=now,
            created_at=now, attempted_at=now, authorization=TEST_CARD_AUTHORIZATION,
        )  # fmt: skip
        nobody = Customer(id=0, email="customer@example.com", customer_code="CUS_sandbox")
        return transaction_data(fake, nobody, domain=config.domain, camel=False)

    @router.post("/transfers/{reference}/{outcome}")
    async def force_transfer(
        reference: str, outcome: str, integration: Scope, session: Db
    ) -> JSONResponse:
        target = _OUTCOMES.get(outcome)
        if target is None:
            raise PaystackApiError("outcome must be success, failed or reversed", code=None)
        owner = integration or default_integration
        transfer, _ = await transfers.find(session, owner, reference, for_update=True)
        changed = await transfers.set_outcome(session, config, transfer, target)
        if not changed:
            raise PaystackApiError(
                f"Transfer is {transfer.status}; cannot move it to {target}",
                http_status=409,
                code="invalid_state",
            )
        return ok("Transfer updated", {"reference": reference, "status": transfer.status})

    @router.post("/tick")
    async def tick() -> JSONResponse:
        return ok("Tick done", await sandbox.tick())

    @router.get("/balance")
    async def get_balance(integration: Scope, session: Db) -> JSONResponse:
        owner = integration or default_integration
        rows = [await balances.get_balance(session, config, owner, c) for c in config.currencies]
        return ok(
            "Balances retrieved", [{"currency": r.currency, "balance": r.balance} for r in rows]
        )

    @router.put("/balance")
    async def set_balance(request: Request, integration: Scope, session: Db) -> JSONResponse:
        body = await inputs.read_body(request)
        currency = inputs.currency(body.get("currency"), config)
        value = body.get("balance")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PaystackApiError("balance must be a non-negative integer (kobo)")
        row = await balances.get_balance(
            session, config, integration or default_integration, currency
        )
        row.balance = value
        return ok("Balance set", {"currency": currency, "balance": value})

    return router
