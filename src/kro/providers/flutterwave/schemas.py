"""Typed views of the Flutterwave v3 answers and events we use (extras ignored; amounts are
**minor units**, converted from Flutterwave's major units on the way in).

Sources: providers.md 2 (the Node-v3 SDK's documentation of verify and refund, the webhook
envelope). Transaction statuses: ``successful``, ``pending``, ``failed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from kro.providers.flutterwave.amounts import to_minor

# Fields Flutterwave sends in major units; converted to minor units of ``currency``.
_AMOUNTS = ("amount", "charged_amount", "app_fee", "merchant_fee", "amount_settled")

SUCCESSFUL = "successful"
PENDING = "pending"
FAILED = "failed"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def _convert(data: Any, names: tuple[str, ...]) -> Any:
    """``data`` with ``names`` turned into minor units of its ``currency`` (upper-cased)."""
    if not isinstance(data, dict) or not isinstance(data.get("currency"), str):
        return data
    currency = data["currency"].upper()
    converted = {**data, "currency": currency}
    for name in names:
        if converted.get(name) is not None:
            converted[name] = to_minor(converted[name], currency)
    return converted


class FlutterwaveTransaction(_Model):
    """A transaction as verify and the list endpoint report it (and ``charge.completed``
    carries it). ``id`` is Flutterwave's; ``tx_ref`` ours. Amounts in minor units:
    ``amount`` asked, ``charged_amount`` taken from the customer, ``app_fee`` Flutterwave's
    fee, ``amount_settled`` what the merchant gets (None if not reported)."""

    id: int
    tx_ref: str
    flw_ref: str | None = None
    status: str
    currency: str
    amount: int
    charged_amount: int | None = None
    app_fee: int = 0
    merchant_fee: int = 0
    amount_settled: int | None = None
    payment_type: str | None = None
    processor_response: str | None = None
    created_at: datetime | None = None
    meta: dict[str, Any] | None = None
    customer: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _minor_units(cls, data: Any) -> Any:
        converted = _convert(data, _AMOUNTS)
        if isinstance(converted, dict):
            for name in ("app_fee", "merchant_fee"):
                if converted.get(name) is None:
                    converted[name] = 0
        return converted


class FlutterwaveRefund(_Model):
    """A refund (``POST /v3/transactions/:id/refund``, ``GET /v3/refunds/:id``, an item of
    ``GET /v3/refunds``).

    ``amount_refunded`` in minor units of ``currency`` — Flutterwave's refund object carries no
    currency, so the client adds the transaction's. ``status``: ``completed`` (the docs'
    sample) or ``pending`` while it is processed [U]. The list's sample names the transaction
    ``transaction_id`` and the note ``comment``: read as ``tx_id`` and ``comments`` when those
    are absent."""

    id: int
    tx_id: int
    flw_ref: str | None = None
    currency: str
    amount_refunded: int
    status: str
    comments: str | None = None
    created_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _minor_units(cls, data: Any) -> Any:
        if isinstance(data, dict):
            aliases = {"tx_id": "transaction_id", "comments": "comment"}
            missing = {k: data[a] for k, a in aliases.items() if data.get(k) is None and a in data}
            data = {**data, **missing}
        return _convert(data, ("amount_refunded",))


class TransactionPage(_Model):
    """One page of ``GET /v3/transactions`` with ``meta.page_info``."""

    transactions: list[FlutterwaveTransaction]
    total: int
    current_page: int
    total_pages: int


class FlutterwaveEvent(_Model):
    """A webhook: ``{"event": "charge.completed", "data": {...}}`` (v3 envelope)."""

    event: str
    data: dict[str, Any]
