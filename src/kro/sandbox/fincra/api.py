"""Fincra's checkout paths, served by the simulator (docs.fincra.com/docs/checkout-redirect).

- ``POST /checkout/payments`` — headers ``api-key`` (secret key) and ``x-pub-key`` (public
  key). Body: ``amount`` (major units, a number; older docs: a string — both accepted),
  ``currency``, ``customer {name, email, phoneNumber?}``, ``reference?`` (the merchant's,
  unique; generated when absent), ``feeBearer`` (``business`` | ``customer``, default
  ``business``), ``redirectUrl?``, ``metadata?``, ``paymentMethods?``,
  ``defaultPaymentMethod?``, ``successMessage?``, ``settlementDestination?``. Answers
  ``{"status": true, "message": "Payment transaction initiated", "data": {"reference",
  "link", "payCode"}}`` — ``reference`` is Fincra's, not the merchant's (the docs say so), and
  ``link`` is the hosted checkout ``{public_base_url}/pay/{reference}``. HTTP 200 [U].
- ``GET /checkout/payments/merchant-reference/{reference}`` — headers ``api-key`` and
  ``x-business-id``: the payment by the merchant's reference, ``{"status": true, "message":
  "Payment retrieved", "data": {...}}`` (:func:`kro.sandbox.fincra.checkouts.payment_data`);
  unknown → 404.

Auth failures are Fincra's documented 401s (:mod:`kro.sandbox.fincra.errors`).
"""

import hmac
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.money import MoneyError, from_major
from kro.sandbox.common.inputs import json_object, text_field
from kro.sandbox.common.service import session_dependency
from kro.sandbox.fincra import checkouts
from kro.sandbox.fincra.config import FincraMerchant
from kro.sandbox.fincra.errors import (
    business_id_required,
    invalid_credentials,
    no_api_key,
    validation,
)
from kro.sandbox.fincra.util import dumps

if TYPE_CHECKING:
    from kro.sandbox.fincra.app import FincraSandbox

FEE_BEARERS = frozenset({"business", "customer"})
METHODS = frozenset({"card", "bank_transfer", "mobile_money", "PayAttitude"})


def fincra_json(body: Any, status_code: int = 200) -> Response:
    """A JSON answer whose amounts (``Decimal``) are written as plain numbers."""
    return Response(dumps(body), status_code=status_code, media_type="application/json")


def merchant_of(sandbox: "FincraSandbox", api_key: str | None) -> FincraMerchant:
    """The business whose secret key is ``api_key``; Fincra's 401 otherwise."""
    if not api_key:
        raise no_api_key()
    for merchant in sandbox.config.merchants:
        if hmac.compare_digest(merchant.secret_key.encode(), api_key.strip().encode()):
            return merchant
    raise invalid_credentials()


async def read_body(request: Request) -> dict[str, Any]:
    """The JSON object body, numbers as ``Decimal``; anything else is a 400."""
    return await json_object(request, validation, decimals=True)


def _text(body: dict[str, Any], name: str, *, required: bool, max_length: int = 300) -> str | None:
    return text_field(body, name, validation, required=required, max_length=max_length)


def _amount(value: Any, currency: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise validation("amount must be a number")
    try:
        minor = from_major(Decimal(str(value).strip()), currency)
    except (ArithmeticError, MoneyError, ValueError):
        raise validation("amount must be a valid amount in major units") from None
    if minor <= 0:
        raise validation("amount must be greater than 0")
    return minor


def parse_new_checkout(body: dict[str, Any], currencies: tuple[str, ...]) -> checkouts.NewCheckout:
    """Validate a ``POST /checkout/payments`` body (amount → minor units)."""
    currency = (_text(body, "currency", required=True) or "").upper()
    if currency not in currencies:
        raise validation(f"currency must be one of {', '.join(currencies)}")
    customer = body.get("customer")
    if not isinstance(customer, dict):
        raise validation("customer is required")
    fee_bearer = _text(body, "feeBearer", required=False) or "business"
    if fee_bearer not in FEE_BEARERS:
        raise validation("feeBearer must be business or customer")
    methods = body.get("paymentMethods") or ["card", "bank_transfer"]
    if not isinstance(methods, list) or not all(m in METHODS for m in methods):
        raise validation("paymentMethods contains an unknown method")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise validation("metadata must be an object")
    return checkouts.NewCheckout(
        amount=_amount(body.get("amount"), currency),
        currency=currency,
        customer_name=_text(customer, "name", required=True, max_length=200) or "",
        customer_email=_text(customer, "email", required=True, max_length=320),
        customer_phone=_text(customer, "phoneNumber", required=False, max_length=32),
        reference=_text(body, "reference", required=False, max_length=150),
        fee_bearer=fee_bearer,
        redirect_url=_text(body, "redirectUrl", required=False, max_length=500),
        metadata=metadata,
        payment_methods=tuple(methods),
        success_message=_text(body, "successMessage", required=False),
        settlement_destination=_text(body, "settlementDestination", required=False) or "wallet",
    )


def build_api_router(sandbox: "FincraSandbox") -> APIRouter:
    router = APIRouter(tags=["fincra"])
    config = sandbox.config

    def merchant(api_key: Annotated[str | None, Header(alias="api-key")] = None) -> FincraMerchant:
        return merchant_of(sandbox, api_key)

    Merchant = Annotated[FincraMerchant, Depends(merchant)]
    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    @router.post("/checkout/payments")
    async def create_checkout(
        request: Request,
        business: Merchant,
        session: Db,
        pub_key: Annotated[str | None, Header(alias="x-pub-key")] = None,
    ) -> Response:
        """Create a checkout and answer its hosted ``link``; the public key is required."""
        if not pub_key or not hmac.compare_digest(
            pub_key.strip().encode(), business.public_key.encode()
        ):
            raise invalid_credentials()
        new = parse_new_checkout(await read_body(request), config.currencies)
        checkout = await checkouts.create(session, config, business.business_id, new)
        link = f"{config.public_base_url.rstrip('/')}/pay/{checkout.reference}"
        return fincra_json(
            {
                "status": True,
                "message": "Payment transaction initiated",
                "data": {"reference": checkout.reference, "link": link,
                         "payCode": checkout.reference},
            }
        )  # fmt: skip

    @router.get("/checkout/payments/merchant-reference/{reference}")
    async def verify(
        reference: str,
        business: Merchant,
        session: Db,
        business_id: Annotated[str | None, Header(alias="x-business-id")] = None,
    ) -> Response:
        """The payment by the merchant's reference — the source of truth before value."""
        if not business_id:
            raise business_id_required()
        if business_id.strip() != business.business_id:
            raise invalid_credentials()
        checkout = await checkouts.by_merchant_reference(session, business.business_id, reference)
        return fincra_json(
            {
                "status": True,
                "message": "Payment retrieved",
                "data": checkouts.payment_data(checkout),
            }
        )

    return router
