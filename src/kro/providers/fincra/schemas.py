"""Typed views of the Fincra answers and events we use (extras ignored; amounts minor units).

Field names follow Fincra's camelCase through aliases. Sources: docs.fincra.com
checkout-redirect (initiate answer, checkout webhook table), charges-webhook
(``charge.successful`` example). The verify ``data`` is read with the same model: public
clients read ``status``, ``amount``, ``amountReceived``, ``currency``, ``merchantReference``
and ``businessId`` from it; its full field list is not published [U].
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kro.providers.fincra.amounts import to_minor

# Amount fields Fincra sends in major units; converted to minor units of ``currency``.
_AMOUNTS = ("amount", "amountExpected", "amountReceived", "amountToSettle", "fee", "vat")

# Fincra statuses of a payment. Only ``success`` is documented for checkout; ``pending`` and
# ``failed`` are what public clients test for [U].
SUCCESS = "success"
PENDING_STATUSES = frozenset({"pending", "initiated", "processing"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class CheckoutLink(_Model):
    """``POST /checkout/payments``: where to send the customer.

    ``reference`` is Fincra's own (not ours, the docs stress it); ``link`` is the hosted
    checkout page; ``merchant_reference`` is the reference we sent (set by the client).
    """

    reference: str
    link: str
    merchant_reference: str = ""


class Customer(_Model):
    name: str | None = None
    email: str | None = None
    phone_number: str | None = Field(None, alias="phoneNumber")


class FincraPayment(_Model):
    """A checkout payment as verify reports it and ``charge.successful`` carries it.

    Amounts are **minor units** of ``currency``: ``amount`` what the customer was asked to pay,
    ``amount_received`` what arrived (``None`` before payment), ``amount_to_settle`` what the
    business gets, ``fee`` Fincra's fee with ``vat`` included.
    """

    status: str
    currency: str
    amount: int
    amount_expected: int | None = Field(None, alias="amountExpected")
    amount_received: int | None = Field(None, alias="amountReceived")
    amount_to_settle: int | None = Field(None, alias="amountToSettle")
    fee: int = 0
    vat: int = 0
    fee_bearer: str | None = Field(None, alias="feeBearer")
    variance_type: str | None = Field(None, alias="varianceType")
    reference: str | None = None
    merchant_reference: str | None = Field(None, alias="merchantReference")
    charge_reference: str | None = Field(None, alias="chargeReference")
    business_id: str | None = Field(None, alias="businessId")
    id: int | str | None = None
    method: str | None = None
    type: str | None = None
    customer: Customer | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime | None = Field(None, alias="createdAt")
    updated_at: datetime | None = Field(None, alias="updatedAt")

    @model_validator(mode="before")
    @classmethod
    def _minor_units(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("currency"), str):
            return data
        currency = data["currency"].upper()
        converted = {**data, "currency": currency}
        for name in _AMOUNTS:
            if converted.get(name) is not None:
                converted[name] = to_minor(converted[name], currency)
        if converted.get("fee") is None:
            converted["fee"] = 0
        if converted.get("vat") is None:
            converted["vat"] = 0
        return converted

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCESS

    @property
    def received(self) -> int:
        """What the customer paid (minor units); ``amount`` when Fincra omits it."""
        return self.amount if self.amount_received is None else self.amount_received


class FincraEvent(_Model):
    """A webhook: ``{"event": "charge.successful", "type"?: "charge", "data": {...}}``."""

    event: str
    type: str | None = None
    data: dict[str, Any]
