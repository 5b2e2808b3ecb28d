"""Bodies of the admin's refunds paid by hand (:func:`.service.record_manual_refund`).
Amounts are minor units."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kro.payments.models import Payment, Refund


class ManualRefundIn(BaseModel):
    """What the operator did: ``paid`` the payer by bank transfer (``bank_reference`` names
    it), or ``not_paid`` (the transfer could not be made: the refund fails and its booking is
    reversed)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["paid", "not_paid"]
    bank_reference: str | None = Field(
        None, min_length=1, max_length=50, description="the transfer's reference; when paid"
    )
    note: str = Field(min_length=1, max_length=150, description="kept in the audit log")
    totp_code: str = Field(min_length=6, max_length=16, description="a fresh admin TOTP code")

    @model_validator(mode="after")
    def _paid_names_the_transfer(self) -> Self:
        if self.outcome == "paid" and not self.bank_reference:
            raise ValueError("bank_reference: a paid refund names the bank transfer")
        return self


class ManualRefundOut(BaseModel):
    """A refund paid by hand: how much to whom, for which payment."""

    id: str
    payment_id: str
    amount: int = Field(description="minor units")
    currency: str
    status: str = Field(description="pending | processed | failed")
    reason: str
    failure_reason: str | None
    provider_refund_id: str | None = Field(description="``manual:<bank reference>`` once paid")
    provider: str = Field(description="the payment's provider (one with no refund API)")
    purpose: str
    purpose_id: str
    payer_email: str | None
    payer_name: str | None
    created_at: datetime
    processed_at: datetime | None

    @classmethod
    def of(cls, refund: Refund, payment: Payment) -> ManualRefundOut:
        customer = payment.customer or {}
        return cls(
            id=refund.id,
            payment_id=refund.payment_id,
            amount=refund.amount,
            currency=refund.currency,
            status=refund.status,
            reason=refund.reason,
            failure_reason=refund.failure_reason,
            provider_refund_id=refund.provider_refund_id,
            provider=payment.provider,
            purpose=payment.purpose,
            purpose_id=payment.purpose_id,
            payer_email=payment.customer_email,
            payer_name=customer.get("name"),
            created_at=refund.created_at,
            processed_at=refund.processed_at,
        )
