"""Paystack's API paths, served by the simulator (thin: parse, authorize, call a use case).

Every endpoint needs ``Authorization: Bearer <secret key>``; a missing or unknown key gets
``401 {"status": false, "message": "Invalid key"}``. Successful answers are
``{"status": true, "message": ..., "data": ...}`` with Paystack's messages.
"""

import hmac
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.sandbox.common.service import session_dependency
from kro.sandbox.paystack import balances, charges, inputs, listing, transfers
from kro.sandbox.paystack.errors import PaystackApiError, invalid_key
from kro.sandbox.paystack.models import Balance
from kro.sandbox.paystack.shapes import (
    recipient_data,
    refund_data,
    refund_object,
    transaction_data,
    transfer_data,
)

if TYPE_CHECKING:
    from kro.sandbox.paystack.app import PaystackSandbox


def ok(message: str, data: Any, *, status: int = 200, meta: Any = None) -> JSONResponse:
    """Paystack's success envelope."""
    body: dict[str, Any] = {"status": True, "message": message, "data": data}
    if meta is not None:
        body["meta"] = meta
    return JSONResponse(body, status_code=status)


def integration_of(sandbox: "PaystackSandbox", authorization: str | None) -> int:
    """The integration id of a ``Bearer`` secret key; Paystack's 401 if none matches."""
    scheme, _, key = (authorization or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise invalid_key()
    for known, integration in sandbox.integrations.items():
        if hmac.compare_digest(known.encode(), key.encode()):
            return integration
    raise invalid_key()


def build_api_router(sandbox: "PaystackSandbox") -> APIRouter:
    """The authenticated API: transactions (initialize, verify, list, fetch), refunds (create,
    list, fetch), banks, recipients, transfers, balance."""
    router = APIRouter(tags=["paystack"])

    def integration(authorization: Annotated[str | None, Header()] = None) -> int:
        return integration_of(sandbox, authorization)

    def window(
        from_: Annotated[str | None, Query(alias="from")] = None,
        to: str | None = None,
        perPage: int = 50,
        page: int = 1,
    ) -> listing.Window:
        per_page, page = inputs.page_params(perPage, page)
        return listing.Window(
            start=inputs.date_bound(from_, "from"),
            end=inputs.date_bound(to, "to", end=True),
            page=page,
            per_page=per_page,
        )

    Integration = Annotated[int, Depends(integration)]
    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]
    Window = Annotated[listing.Window, Depends(window)]
    config = sandbox.config

    @router.post("/transaction/initialize")
    async def initialize(request: Request, integration: Integration, session: Db) -> JSONResponse:
        """Create a transaction; pay it at ``authorization_url`` (the hosted checkout)."""
        body = await inputs.read_body(request)
        if body.get("email") in (None, ""):
            raise PaystackApiError("Email is required", code="missing_params")
        if body.get("amount") in (None, ""):
            raise PaystackApiError("Amount is required", code="missing_params")
        channels = body.get("channels")
        req = charges.InitializeRequest(
            email=inputs.email(body.get("email")),
            amount=inputs.amount(body.get("amount")),
            currency=inputs.currency(body.get("currency"), config),
            reference=inputs.transaction_reference(body.get("reference")),
            callback_url=inputs.optional_str(body, "callback_url"),
            metadata=inputs.metadata(body.get("metadata")),
            channels=[str(c) for c in channels] if isinstance(channels, list) else None,
            ip_address=request.client.host if request.client else None,
        )
        tx = await charges.initialize(session, integration, req)
        if body.get("plan"):  # a subscription checkout: the plan's amount applies
            from kro.sandbox.paystack import subscriptions

            plan = await subscriptions.find_plan(session, integration, str(body["plan"]))
            await subscriptions.link_checkout(session, tx, plan)
        return ok(
            "Authorization URL created",
            {
                "authorization_url": f"{config.public_base_url}/checkout/{tx.access_code}",
                "access_code": tx.access_code,
                "reference": tx.reference,
            },
        )

    @router.get("/transaction/verify/{reference}")
    async def verify(reference: str, integration: Integration, session: Db) -> JSONResponse:
        tx = await charges.find(session, integration, reference)
        return ok("Verification successful", await charges.data_of(session, config, tx))

    @router.get("/transaction")
    async def list_transactions(
        integration: Integration,
        session: Db,
        window: Window,
        status: str | None = None,
        customer: int | None = None,
    ) -> JSONResponse:
        """Paystack's List Transactions: newest first; ``from``/``to`` on ``created_at``."""
        rows, total = await listing.list_transactions(
            session, integration, window, status=status, customer=customer
        )
        customers = await listing.customers_of(session, rows)
        data = [
            transaction_data(tx, customers[tx.customer_id], domain=config.domain) for tx in rows
        ]
        return ok("Transactions retrieved", data, meta=listing.page_meta(total, window))

    @router.get("/transaction/{tx_id}")
    async def fetch_transaction(tx_id: str, integration: Integration, session: Db) -> JSONResponse:
        tx = await listing.transaction_by_id(session, integration, tx_id)
        return ok("Transaction retrieved", await charges.data_of(session, config, tx))

    @router.post("/refund")
    async def refund(request: Request, integration: Integration, session: Db) -> JSONResponse:
        body = await inputs.read_body(request)
        ref = inputs.required_str(body, "transaction", "Transaction reference or id is required")
        tx = await charges.find(session, integration, ref, for_update=True)
        raw_amount = body.get("amount")
        created = await charges.create_refund(
            session,
            config,
            tx,
            amount=None if raw_amount in (None, "") else inputs.amount(raw_amount),
            customer_note=inputs.optional_str(body, "customer_note"),
            merchant_note=inputs.optional_str(body, "merchant_note"),
        )
        customer = await charges.customer_of(session, tx)
        return ok(
            "Refund has been queued for processing", refund_data(created, tx, customer, config)
        )

    @router.get("/refund")
    async def list_refunds(
        integration: Integration,
        session: Db,
        window: Window,
        transaction: str | None = None,
        currency: str | None = None,
    ) -> JSONResponse:
        """Paystack's List Refunds: newest first; ``transaction`` is an id or a reference."""
        rows, total = await listing.list_refunds(
            session, integration, window, transaction=transaction, currency=currency
        )
        data = [refund_object(r, config) for r in rows]
        return ok("Refunds retrieved", data, meta=listing.page_meta(total, window))

    @router.get("/refund/{refund_id}")
    async def fetch_refund(refund_id: str, integration: Integration, session: Db) -> JSONResponse:
        refund = await listing.refund_by_id(session, integration, refund_id)
        return ok("Refund retrieved", refund_object(refund, config))

    @router.get("/bank")
    async def banks(
        _: Integration,
        country: str | None = None,
        currency: str | None = None,
        perPage: int = 50,
        page: int = 1,
    ) -> JSONResponse:
        rows = transfers.list_banks(country, currency)
        per_page = max(1, min(perPage, 100))
        page = max(1, page)
        chunk = rows[(page - 1) * per_page : page * per_page]
        page_count = max(1, -(-len(rows) // per_page))
        meta = {
            "total": len(rows),
            "skipped": (page - 1) * per_page,
            "perPage": per_page,
            "page": page,
            "pageCount": page_count,
            "next": None,
            "previous": None,
        }
        return ok("Banks retrieved", chunk, meta=meta)

    @router.get("/bank/resolve")
    async def resolve(
        _: Integration, account_number: str | None = None, bank_code: str | None = None
    ) -> JSONResponse:
        if not account_number:
            raise PaystackApiError("Account number is required", code="missing_params")
        if not bank_code:
            raise PaystackApiError("Bank code is required", code="missing_params")
        return ok("Account number resolved", transfers.resolve(config, account_number, bank_code))

    @router.post("/transferrecipient")
    async def create_recipient(
        request: Request, integration: Integration, session: Db
    ) -> JSONResponse:
        body = await inputs.read_body(request)
        recipient = await transfers.create_recipient(session, config, integration, body)
        return ok(
            "Transfer recipient created successfully",
            recipient_data(recipient, config),
            status=201,
        )

    @router.post("/transfer")
    async def initiate(request: Request, integration: Integration, session: Db) -> JSONResponse:
        body = await inputs.read_body(request)
        transfer, recipient = await transfers.initiate(session, config, integration, body)
        return ok(
            "Transfer has been queued", transfer_data(transfer, recipient, config, expand=False)
        )

    @router.get("/transfer/verify/{reference}")
    async def verify_transfer(
        reference: str, integration: Integration, session: Db
    ) -> JSONResponse:
        transfer, recipient = await transfers.find(session, integration, reference)
        return ok("Transfer retrieved", transfer_data(transfer, recipient, config, expand=True))

    @router.get("/balance")
    async def balance(integration: Integration, session: Db) -> JSONResponse:
        """Paystack's ``GET /balance``: ``[{currency, balance}]`` in minor units."""
        for currency in config.currencies:
            await balances.get_balance(session, config, integration, currency)
        rows = await session.scalars(
            select(Balance).where(Balance.integration == integration).order_by(Balance.currency)
        )
        return ok(
            "Balances retrieved", [{"currency": r.currency, "balance": r.balance} for r in rows]
        )

    return router
