"""Escrow request and response bodies. ``amount`` is an integer in minor units everywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from kro.escrow.service import ConditionSpec, NewOrder, OrderView


class ConditionIn(BaseModel):
    """A condition in the buyer's words, or an admin-made template by ``template_id``."""

    description: str | None = Field(default=None, min_length=1, max_length=500)
    template_id: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _one_of(self) -> ConditionIn:
        if (self.description is None) == (self.template_id is None):
            raise ValueError("give either description or template_id")
        return self


class TemplateIn(BaseModel):
    description: str = Field(min_length=1, max_length=500)
    category: str | None = Field(default=None, max_length=64)


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    description: str
    category: str | None
    active: bool


class FeeIn(BaseModel):
    """A new fee configuration: basis points, minor units, who pays; needs a TOTP code."""

    percent_bps: int = Field(ge=0, le=10_000)
    flat: int = Field(ge=0, le=10**10)
    cap: int = Field(ge=0, le=10**10)
    payer: Literal["buyer", "seller", "split"]
    note: str | None = Field(default=None, max_length=500)
    totp_code: str = Field(min_length=6, max_length=16)


class FeeConfigOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    percent_bps: int
    flat: int
    cap: int
    payer: str
    created_by: str
    note: str | None
    created_at: datetime


class OrderIn(BaseModel):
    """A new order, created by the buyer."""

    seller_email: EmailStr
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    amount: int = Field(gt=0, le=10**13, description="minor units (kobo for NGN)")
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["NGN"])
    conditions: list[ConditionIn] = Field(min_length=1, max_length=20)
    inspection_days: int = Field(
        default=3, ge=1, le=30, description="days the buyer has to inspect after completion"
    )

    def to_order(self) -> tuple[NewOrder, list[ConditionSpec]]:
        """The use case's arguments (:func:`kro.escrow.service.place_order`)."""
        new = NewOrder(
            seller_email=self.seller_email,
            title=self.title,
            description=self.description,
            amount=self.amount,
            currency=self.currency,
            conditions=[],
            inspection_days=self.inspection_days,
        )
        return new, [ConditionSpec(c.description, c.template_id) for c in self.conditions]


class PayIn(BaseModel):
    """``card``: a hosted checkout (Paystack or Fincra); ``wallet``: from the buyer's KRO
    balance; ``bank_transfer``: a Providus account to transfer to."""

    method: Literal["card", "wallet", "bank_transfer"] = "card"
    provider: Literal["paystack", "fincra"] | None = Field(
        default=None,
        description="card checkout provider; default: the platform's routing "
        "(KRO_PAYMENTS_PROVIDERS order, failing over when one is down)",
    )
    callback_url: str | None = Field(default=None, max_length=500)


class MessageIn(BaseModel):
    body: str = Field(min_length=1, max_length=5000)


class ResolveIn(BaseModel):
    """An admin's resolution. ``split`` needs ``seller_amount`` (minor units)."""

    outcome: Literal["release", "refund", "split"]
    seller_amount: int | None = Field(default=None, gt=0)
    note: str = Field(min_length=1, max_length=2000)
    totp_code: str = Field(min_length=6, max_length=16)


class ConditionOut(BaseModel):
    id: str
    position: int
    description: str
    fulfilled: bool
    fulfilled_at: datetime | None


class TransitionOut(BaseModel):
    action: str
    from_state: str
    to_state: str
    actor_id: str | None
    actor_role: str
    reason: str | None
    at: datetime


class FeeOut(BaseModel):
    """Platform fee, minor units, and who bears it."""

    total: int
    buyer: int
    seller: int
    payer: str


class AmountsOut(BaseModel):
    """Minor units: ``buyer_pays`` at checkout; ``held`` in escrow now; ``released`` to the
    seller; ``refunded`` to the buyer; ``seller_receives`` on a full release."""

    buyer_pays: int
    held: int
    released: int
    refunded: int
    seller_receives: int


class PaymentOut(BaseModel):
    id: str
    reference: str
    status: str
    amount: int
    authorization_url: str | None


class RefundOut(BaseModel):
    """Money going back to the buyer: ``destination`` provider (Paystack: ``pending`` →
    ``processing`` → ``processed`` on ``refund.processed``) or wallet (``processed``)."""

    id: str
    amount: int
    destination: str
    status: str


class OrderOut(BaseModel):
    id: str
    title: str
    description: str | None
    status: str
    buyer_id: str
    seller_id: str
    amount: int
    currency: str
    fee: FeeOut
    amounts: AmountsOut
    conditions: list[ConditionOut]
    transitions: list[TransitionOut]
    payment: PaymentOut | None
    refunds: list[RefundOut]
    inspection_days: int
    inspection_ends_at: datetime | None
    expires_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, v: OrderView, viewer_id: str) -> OrderOut:
        """The order as ``viewer_id`` sees it (only the buyer sees the checkout URL)."""
        o = v.order
        return cls(
            id=o.id,
            title=o.title,
            description=o.description,
            status=o.status,
            buyer_id=o.buyer_id,
            seller_id=o.seller_id,
            amount=o.amount,
            currency=o.currency,
            fee=FeeOut(
                total=o.buyer_fee + o.seller_fee,
                buyer=o.buyer_fee,
                seller=o.seller_fee,
                payer=o.fee_payer,
            ),
            amounts=AmountsOut(
                buyer_pays=o.buyer_pays,
                held=o.held_amount,
                released=o.released_amount,
                refunded=o.refunded_amount,
                seller_receives=o.amount - o.seller_fee,
            ),
            conditions=[
                ConditionOut(
                    id=c.id,
                    position=c.position,
                    description=c.description,
                    fulfilled=c.fulfilled_at is not None,
                    fulfilled_at=c.fulfilled_at,
                )
                for c in v.conditions
            ],
            transitions=[
                TransitionOut(
                    action=e.action,
                    from_state=e.from_state,
                    to_state=e.to_state,
                    actor_id=e.actor_id,
                    actor_role=e.actor_role,
                    reason=e.reason,
                    at=e.created_at,
                )
                for e in v.events
            ],
            payment=PaymentOut(
                id=v.payment.id,
                reference=v.payment.reference,
                status=v.payment.status,
                amount=v.payment.amount,
                authorization_url=v.payment.authorization_url if viewer_id == o.buyer_id else None,
            )
            if v.payment
            else None,
            refunds=[
                RefundOut(id=r.id, amount=r.amount, destination=r.destination, status=r.status)
                for r in v.refunds
            ],
            inspection_days=o.inspection_days,
            inspection_ends_at=o.inspection_ends_at,
            expires_at=o.expires_at,
            created_at=o.created_at,
        )


class OrderSummaryOut(BaseModel):
    id: str
    title: str
    status: str
    role: str
    amount: int
    currency: str
    created_at: datetime


class CheckoutOut(BaseModel):
    """Card: send the buyer to ``authorization_url`` (Paystack's hosted checkout). Wallet:
    ``status`` is ``completed`` and the order is already funded. Bank transfer: transfer
    ``amount`` to ``account_number`` at ``bank_name`` before ``account_expires_at``."""

    method: str
    status: str
    authorization_url: str | None
    reference: str
    bank_name: str | None = None
    account_number: str | None = None
    account_name: str | None = None
    account_expires_at: datetime | None = None
    amount: int
    currency: str
