"""Flutterwave v3's paths, served by the simulator (providers.md 2; developer.flutterwave.com).

Every call sends ``Authorization: Bearer <FLWSECK…>``; a missing or unknown key is 401
``{"status": "error", "message": "Invalid authorization key", "data": null}``. Answers are
the v3 envelope ``{"status": "success", "message", "data"}``; amounts are **major units**
(JSON numbers, read as ``Decimal``). Each merchant sees only its own objects (404 otherwise).

- ``POST /v3/payments`` ``{tx_ref, amount, currency?, redirect_url?, customer{email, name?,
  phonenumber?}, customizations?, meta?, payment_options?}`` → ``"Hosted Link"``,
  ``data.link`` = ``{public_base_url}/hosted/pay/{token}``. A reused ``tx_ref`` is a 400.
- ``GET /v3/transactions/:id/verify``, ``GET /v3/transactions/verify_by_reference?tx_ref=``
  → ``"Transaction fetched successfully"``, :func:`transactions.transaction_data`.
- ``GET /v3/transactions?from=YYYY-MM-DD&to=YYYY-MM-DD&page=&status=&tx_ref=`` → a page,
  newest first, with ``meta.page_info {total, current_page, total_pages}``.
- ``POST /v3/transactions/:id/refund`` ``{amount?, comments?}`` → ``"Transaction refund
  initiated"``; ``GET /v3/refunds/:id`` → the refund (:mod:`kro.sandbox.flutterwave.refunds`).
- ``GET /v3/refunds?from=&to=&page=&status=&currency=&flw_ref=&id=`` (``tx_id`` = ``id``: the
  transaction's id) → ``"Refunds fetched"``, a page, newest first, with ``meta.page_info``.
- ``POST /v3/transactions/:id/resend-hook`` → ``"hook sent successfully"``: queues the
  transaction's ``charge.completed`` again.
"""

import hmac
import math
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.money import MoneyError, from_major
from kro.sandbox.common.inputs import json_object, text_field
from kro.sandbox.common.service import session_dependency
from kro.sandbox.flutterwave import refunds, transactions, webhooks
from kro.sandbox.flutterwave.config import FlutterwaveMerchant
from kro.sandbox.flutterwave.errors import invalid_key, transaction_not_found, validation
from kro.sandbox.flutterwave.util import dumps

if TYPE_CHECKING:
    from kro.sandbox.flutterwave.app import FlutterwaveSandbox

STATUSES = frozenset({"successful", "pending", "failed"})


def flw_json(body: Any, status_code: int = 200) -> Response:
    """A JSON answer whose amounts (``Decimal``) are written as plain numbers."""
    return Response(dumps(body), status_code=status_code, media_type="application/json")


def success(message: str, data: Any, **extra: Any) -> Response:
    """The v3 success envelope."""
    return flw_json({"status": "success", "message": message, **extra, "data": data})


def merchant_of(sandbox: "FlutterwaveSandbox", authorization: str | None) -> FlutterwaveMerchant:
    """The account whose secret key is the Bearer token; 401 otherwise (constant time)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise invalid_key()
    for merchant in sandbox.config.merchants:
        if hmac.compare_digest(merchant.secret_key.encode(), token.strip().encode()):
            return merchant
    raise invalid_key()


async def read_body(request: Request) -> dict[str, Any]:
    """The JSON object body, numbers as ``Decimal``; anything else is a 400."""
    return await json_object(request, validation, decimals=True)


def text(body: dict[str, Any], name: str, *, required: bool, max_length: int = 300) -> str | None:
    """A string field, stripped; 400 ``"<name> is required"`` when required and missing."""
    return text_field(body, name, validation, required=required, max_length=max_length)


def amount_of(value: Any, currency: str, name: str = "amount") -> int:
    """A major-unit amount (JSON number or numeric string) → minor units; 400 if invalid."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise validation(f"{name} is required and must be a number")
    try:
        minor = from_major(Decimal(str(value).strip()), currency)
    except (ArithmeticError, MoneyError, ValueError):
        raise validation(f"{name} must be a valid amount in {currency}") from None
    if minor <= 0:
        raise validation(f"{name} must be greater than 0")
    return minor


def _optional_object(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        raise validation(f"{name} must be an object")
    return value


def parse_payment(body: dict[str, Any], currencies: tuple[str, ...]) -> transactions.NewPayment:
    """Validate a ``POST /v3/payments`` body (currency defaults to NGN; amount → minor)."""
    currency = (text(body, "currency", required=False) or "NGN").upper()
    if currency not in currencies:
        raise validation(f"currency must be one of {', '.join(currencies)}")
    customer = body.get("customer")
    if not isinstance(customer, dict):
        raise validation("customer.email is required")
    email = text(customer, "email", required=True, max_length=320) or ""
    if "@" not in email:
        raise validation("customer.email must be a valid email")
    return transactions.NewPayment(
        tx_ref=text(body, "tx_ref", required=True, max_length=200) or "",
        amount=amount_of(body.get("amount"), currency),
        currency=currency,
        customer_email=email,
        customer_name=text(customer, "name", required=False, max_length=200),
        customer_phone=text(customer, "phonenumber", required=False, max_length=32),
        redirect_url=text(body, "redirect_url", required=False, max_length=500),
        customizations=_optional_object(body, "customizations"),
        meta=_optional_object(body, "meta"),
        payment_options=text(body, "payment_options", required=False) or "card",
    )


def transaction_id(value: str) -> int:
    """A path's transaction id; anything but digits is an unknown transaction."""
    if not value.isdigit() or len(value) > 18:
        raise transaction_not_found()
    return int(value)


def parse_day(value: str | None, name: str) -> date | None:
    """``YYYY-MM-DD`` (a query filter) or None; 400 when malformed."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise validation(f"{name} must be a date in the format YYYY-MM-DD") from None


def build_api_router(sandbox: "FlutterwaveSandbox") -> APIRouter:
    router = APIRouter(prefix="/v3", tags=["flutterwave"])
    config = sandbox.config

    def merchant(authorization: Annotated[str | None, Header()] = None) -> FlutterwaveMerchant:
        return merchant_of(sandbox, authorization)

    Merchant = Annotated[FlutterwaveMerchant, Depends(merchant)]
    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    @router.post("/payments")
    async def create_payment(request: Request, account: Merchant, session: Db) -> Response:
        """Standard checkout: record the payment, answer its hosted link."""
        new = parse_payment(await read_body(request), config.currencies)
        transaction = await transactions.create(session, config, account.account_id, new)
        link = f"{config.public_base_url.rstrip('/')}/hosted/pay/{transaction.token}"
        return success("Hosted Link", {"link": link})

    @router.get("/transactions/verify_by_reference")
    async def verify_by_reference(account: Merchant, session: Db, tx_ref: str = "") -> Response:
        transaction = await transactions.by_tx_ref(session, account.account_id, tx_ref)
        data = transactions.transaction_data(transaction, account)
        return success("Transaction fetched successfully", data)

    @router.get("/transactions/{id}/verify")
    async def verify(id: str, account: Merchant, session: Db) -> Response:
        transaction = await transactions.by_id(session, account.account_id, transaction_id(id))
        data = transactions.transaction_data(transaction, account)
        return success("Transaction fetched successfully", data)

    @router.get("/transactions")
    async def list_page(request: Request, account: Merchant, session: Db) -> Response:
        """A page of the account's transactions, newest first (``from`` is a Python keyword,
        so the query is read by hand)."""
        query = request.query_params
        status = query.get("status") or None
        if status is not None and status not in STATUSES:
            raise validation("status must be one of successful, pending, failed")
        page = query.get("page") or "1"
        if not page.isdigit() or int(page) < 1:
            raise validation("page must be a positive integer")
        filters = transactions.ListFilter(
            start=parse_day(query.get("from"), "from"),
            end=parse_day(query.get("to"), "to"),
            status=status,
            tx_ref=query.get("tx_ref") or None,
            page=int(page),
        )
        size = config.list_page_size
        rows, total = await transactions.page_of(session, account.account_id, filters, size)
        page_info = {
            "total": total,
            "current_page": filters.page,
            "total_pages": math.ceil(total / size),
        }
        return success(
            "Transactions fetched",
            [transactions.transaction_data(t, account) for t in rows],
            meta={"page_info": page_info},
        )

    @router.post("/transactions/{id}/refund")
    async def refund(id: str, request: Request, account: Merchant, session: Db) -> Response:
        body = await read_body(request)
        transaction = await transactions.by_id(
            session, account.account_id, transaction_id(id), for_update=True
        )
        raw = body.get("amount")
        amount = None if raw is None else amount_of(raw, transaction.currency)
        comments = text(body, "comments", required=False, max_length=500)
        created = await refunds.create(session, config, transaction, amount, comments)
        return success("Transaction refund initiated", refunds.refund_data(created))

    @router.get("/refunds")
    async def list_refunds(request: Request, account: Merchant, session: Db) -> Response:
        """A page of the account's refunds, newest first (the query is read by hand, as for
        transactions). ``id`` / ``tx_id``: the refunded transaction's id [U: name]."""
        query = request.query_params
        page = query.get("page") or "1"
        if not page.isdigit() or int(page) < 1:
            raise validation("page must be a positive integer")
        ids: list[int] = []
        for name in ("id", "tx_id"):
            value = query.get(name)
            if value:
                if not value.isdigit() or len(value) > 18:
                    raise validation(f"{name} must be a transaction id")
                ids.append(int(value))
        filters = refunds.RefundFilter(
            start=parse_day(query.get("from"), "from"),
            end=parse_day(query.get("to"), "to"),
            status=query.get("status") or None,
            currency=(query.get("currency") or "").upper() or None,
            flw_ref=query.get("flw_ref") or None,
            transaction_ids=tuple(ids),
            page=int(page),
        )
        size = config.list_page_size
        rows, total = await refunds.page_of(session, account.account_id, filters, size)
        page_info = {
            "total": total,
            "current_page": filters.page,
            "total_pages": math.ceil(total / size),
            "page_size": size,
        }
        return success(
            "Refunds fetched",
            [refunds.listed_refund_data(r) for r in rows],
            meta={"page_info": page_info},
        )

    @router.get("/refunds/{id}")
    async def get_refund(id: str, account: Merchant, session: Db) -> Response:
        refund_id = int(id) if id.isdigit() and len(id) <= 18 else 0  # 0: never an id
        found = await refunds.by_id(session, account.account_id, refund_id)
        return success("Refund fetched", refunds.refund_data(found))

    @router.post("/transactions/{id}/resend-hook")
    async def resend_hook(id: str, account: Merchant, session: Db) -> Response:
        transaction = await transactions.by_id(session, account.account_id, transaction_id(id))
        if transaction.status == "pending":
            raise validation("Transaction is still pending: there is no hook to resend")
        payload = transactions.webhook_payload(transaction, account)
        await webhooks.enqueue(session, transaction, transactions.CHARGE_COMPLETED, payload)
        return success("hook sent successfully", None)

    return router
