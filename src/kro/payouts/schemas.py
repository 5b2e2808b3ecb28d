"""Payouts request and response bodies. Amounts are integers in minor units."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class WalletOut(BaseModel):
    """Minor units: ``available`` now; ``pending`` incoming (escrow not yet released to you);
    ``held`` by payouts in progress."""

    currency: str
    available: int
    pending: int
    held: int


class BankOut(BaseModel):
    name: str
    code: str
    slug: str


class BankAccountIn(BaseModel):
    bank_code: str = Field(min_length=3, max_length=10, pattern=r"^[0-9]+$")
    account_number: str = Field(pattern=r"^[0-9]{10}$", description="10-digit NUBAN")


class ResolvedAccountOut(BaseModel):
    """Name enquiry's answer: the name the bank holds for the account (nothing is saved)."""

    bank_code: str
    bank_name: str
    account_number: str
    account_name: str


class BankAccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    bank_code: str
    bank_name: str
    account_number: str
    account_name: str
    currency: str
    created_at: datetime


class PayoutIn(BaseModel):
    amount: int = Field(gt=0, le=10**13, description="minor units (kobo)")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    bank_account_id: str = Field(min_length=1, max_length=32)


class PayoutOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    amount: int
    currency: str
    status: str
    bank_account_id: str
    reference: str
    transfer_code: str | None
    provider_fee: int
    failure_reason: str | None
    created_at: datetime
    completed_at: datetime | None


class PayoutEventOut(BaseModel):
    """One transition: ``action`` took the payout ``from_status`` (None: the request itself)
    ``to_status``; ``actor`` ``user:<id>``, ``admin:<id>``, ``provider:paystack`` or
    ``system``; ``reason`` why."""

    model_config = ConfigDict(from_attributes=True)

    action: str
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None
    created_at: datetime


class PayoutDetailOut(PayoutOut):
    """A payout with its transitions, oldest first."""

    events: list[PayoutEventOut]


class DecisionIn(BaseModel):
    totp_code: str = Field(min_length=6, max_length=16)
    reason: str = Field(default="", max_length=500)
