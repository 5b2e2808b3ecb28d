"""Request and response bodies of the review decisions. Amounts are minor units."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ReviewDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    totp_code: str = Field(min_length=6, max_length=16, description="a fresh admin TOTP code")
    reason: str = Field(min_length=1, max_length=150, description="why (kept in the audit log)")


class ReviewPaymentOut(BaseModel):
    """A payment in review (or just decided): whose, for what, ours against the provider's."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    provider: str
    reference: str
    tenant_id: str | None = Field(description="the merchant's; null for a product's payment")
    purpose: str
    purpose_id: str
    amount: int = Field(description="minor units: ours, or the provider's once accepted")
    currency: str
    amount_captured: int = Field(description="minor units")
    amount_refunded: int = Field(description="minor units, refunds requested and not failed")
    failure_reason: str | None = Field(description="what the provider reported")
    created_at: datetime
    updated_at: datetime
