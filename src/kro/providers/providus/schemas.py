"""Typed views of the Providus answers and notifications we use (extras ignored).

Providus speaks naira as **strings** (``"1500.50"``); :data:`Kobo` turns them into ``int``
minor units with ``Decimal`` (:func:`kro.kit.money.from_major`), refusing floats and amounts
with fractions of a kobo. ``tranDateTime`` (``"YYYY-MM-DD HH:MM:SS"``, Lagos time) becomes an
aware UTC datetime. Sources: providers.md 5.2; stephenjude/providus-sdk ``TransactionResource``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from kro.kit.money import MoneyError, from_major


def _kobo(value: Any) -> Any:
    """Naira (string, int or Decimal; never float) → kobo."""
    if isinstance(value, bool | float):
        raise ValueError("amount must be a naira string, not a float")
    if isinstance(value, str | int | Decimal):
        try:
            return from_major(Decimal(str(value).strip().replace(",", "")), "NGN")
        except (InvalidOperation, MoneyError) as exc:
            raise ValueError(f"not an amount in naira: {value!r}") from exc
    return value


def _lagos_time(value: Any) -> Any:
    """``"YYYY-MM-DD HH:MM:SS"`` in Lagos time (UTC+1, no DST) → aware UTC."""
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.strptime(f"{value.strip()[:19]} +0100", "%Y-%m-%d %H:%M:%S %z")
        except ValueError:
            return value  # let pydantic try ISO-8601
        return parsed.astimezone(UTC)
    return None if value == "" else value


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Kobo = Annotated[int, BeforeValidator(_kobo)]
"""Naira as Providus sends it, read as ``int`` kobo."""
Text = Annotated[str, BeforeValidator(_text)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class DynamicAccount(_Model):
    """``PiPCreateDynamicAccountNumber``: a one-time account for one transfer.
    ``initiation_tran_ref`` comes back on the settlement of the transfer into it."""

    account_number: str
    account_name: str
    initiation_tran_ref: str = Field(alias="initiationTranRef")


class ReservedAccount(_Model):
    """``PiPCreateReservedAccountNumber``: a permanent account for one customer's BVN."""

    account_number: str
    account_name: str
    bvn: str | None = None


class Settlement(_Model):
    """A transfer into one of our accounts, settled by Providus: the settlement notification
    and ``PiPverifyTransaction`` carry the same fields.

    ``transaction_amount`` is what the customer sent; ``fee_amount`` + ``vat_amount`` what
    Providus kept; ``settled_amount`` what reached us — all kobo.
    """

    session_id: Text = Field(alias="sessionId")
    settlement_id: Text = Field(alias="settlementId")
    account_number: Text = Field(alias="accountNumber")
    transaction_amount: Kobo = Field(alias="transactionAmount")
    settled_amount: Kobo = Field(alias="settledAmount")
    fee_amount: Kobo = Field(0, alias="feeAmount")
    vat_amount: Kobo = Field(0, alias="vatAmount")
    currency: str = "NGN"
    initiation_tran_ref: Text | None = Field(None, alias="initiationTranRef")
    tran_remarks: str | None = Field(None, alias="tranRemarks")
    source_account_number: Text | None = Field(None, alias="sourceAccountNumber")
    source_account_name: str | None = Field(None, alias="sourceAccountName")
    source_bank_name: str | None = Field(None, alias="sourceBankName")
    channel_id: Text | None = Field(None, alias="channelId")
    tran_date_time: Annotated[datetime | None, BeforeValidator(_lagos_time)] = Field(
        None, alias="tranDateTime"
    )

    @property
    def fees(self) -> int:
        """Everything Providus kept (fee and VAT on it), kobo."""
        return self.fee_amount + self.vat_amount
