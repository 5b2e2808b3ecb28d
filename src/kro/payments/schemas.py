"""Shapes of the merchant API's payments, refunds, provider configurations and routing rules
(seed 003 §6). Amounts are integers in minor units (kobo for NGN); currencies ISO 4217."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from kro.payments.models import Payment, ProviderConfig, Refund, RoutingRule

Currency = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code, e.g. NGN")
MAX_AMOUNT = 10**15  # minor units: far above any real payment, far below BIGINT


def _upper(value: str) -> str:
    return value.upper()


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=32)


class PaymentIn(BaseModel):
    """``POST /v1/payments``. ``amount`` minor units (> 0). ``reference``: yours, unique per
    mode (letters, digits, ``-_.=``); ours is used otherwise. ``provider``: insist on one
    (skips routing and failover). ``capture_method: manual`` authorizes now and captures with
    ``POST /v1/payments/{id}/capture`` (providers that support it). ``channel`` only steers
    routing rules. ``metadata``: up to 20 string pairs, returned as given."""

    model_config = ConfigDict(extra="forbid")

    amount: int = Field(gt=0, le=MAX_AMOUNT, description="minor units")
    currency: str = Currency
    customer: CustomerIn
    reference: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._=-]+$")
    provider: Literal["paystack", "flutterwave", "stripe", "fincra"] | None = None
    capture_method: Literal["automatic", "manual"] = "automatic"
    channel: Literal["card", "bank_transfer", "ussd", "mobile_money", "qr"] | None = None
    description: str | None = Field(None, max_length=500)
    metadata: dict[str, str] | None = Field(None, max_length=20)
    callback_url: str | None = Field(None, max_length=500, pattern=r"^https?://")

    _currency = field_validator("currency")(_upper)

    @field_validator("metadata")
    @classmethod
    def _small_metadata(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key, item in (value or {}).items():
            if len(key) > 40 or len(item) > 500:
                raise ValueError("metadata keys are at most 40 characters, values 500")
        return value


class CaptureIn(BaseModel):
    """``amount``: minor units to capture (≤ authorized); default all of it."""

    model_config = ConfigDict(extra="forbid")

    amount: int | None = Field(None, gt=0, le=MAX_AMOUNT)


class RefundIn(BaseModel):
    """``amount``: minor units (default: all that is left); never more than captured minus
    already refunded."""

    model_config = ConfigDict(extra="forbid")

    amount: int | None = Field(None, gt=0, le=MAX_AMOUNT)
    reason: str | None = Field(None, max_length=200)


class NextAction(BaseModel):
    type: Literal["redirect_to_url"]
    url: str


class RoutingAttempt(BaseModel):
    provider: str
    outcome: str = Field(description="accepted | unavailable | timeout | rejected | circuit_open")
    error: str | None = None


class PaymentOut(BaseModel):
    id: str
    object: Literal["payment"] = "payment"
    mode: str
    status: str
    amount: int = Field(description="minor units")
    amount_captured: int
    amount_refunded: int
    currency: str
    reference: str = Field(description="yours, or ours when you sent none")
    provider: str | None
    provider_reference: str
    capture_method: str
    channel: str | None
    customer: dict[str, Any] | None
    description: str | None
    metadata: dict[str, str] | None
    next_action: NextAction | None
    fee: int = Field(description="provider fee, minor units")
    failure_reason: str | None
    routing: list[RoutingAttempt]
    created_at: datetime
    paid_at: datetime | None

    @classmethod
    def of(cls, p: Payment) -> PaymentOut:
        return cls(
            id=p.id,
            mode=p.mode or "live",
            status=p.status,
            amount=p.amount,
            amount_captured=p.amount_captured,
            amount_refunded=p.amount_refunded,
            currency=p.currency,
            reference=p.merchant_reference or p.reference,
            provider=p.provider or None,
            provider_reference=p.reference,
            capture_method=p.capture_method,
            channel=p.channel,
            customer=p.customer,
            description=p.description,
            metadata=p.metadata_,
            next_action=NextAction.model_validate(p.next_action) if p.next_action else None,
            fee=p.provider_fee,
            failure_reason=p.failure_reason,
            routing=[RoutingAttempt.model_validate(a) for a in p.routing or []],
            created_at=p.created_at,
            paid_at=p.paid_at,
        )


class PaymentEventOut(BaseModel):
    from_status: str | None
    to_status: str
    reason: str | None
    actor: str
    created_at: datetime


class RefundOut(BaseModel):
    id: str
    object: Literal["refund"] = "refund"
    payment_id: str
    amount: int = Field(description="minor units")
    currency: str
    status: str = Field(description="pending | processed | failed")
    reason: str
    failure_reason: str | None
    created_at: datetime
    processed_at: datetime | None

    @classmethod
    def of(cls, r: Refund) -> RefundOut:
        return cls(
            id=r.id,
            payment_id=r.payment_id,
            amount=r.amount,
            currency=r.currency,
            status=r.status,
            reason=r.reason,
            failure_reason=r.failure_reason,
            created_at=r.created_at,
            processed_at=r.processed_at,
        )


class CredentialsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret_key: str = Field(min_length=8, max_length=200)
    webhook_secret: str | None = Field(None, min_length=8, max_length=200)
    public_key: str | None = Field(None, max_length=200)
    account_id: str | None = Field(
        None, max_length=200, description="the merchant's account id (Fincra: business id)"
    )


class ProviderConfigIn(BaseModel):
    """Configure a provider for a mode. ``credentials`` may be omitted in test mode (the
    platform's sandbox keys are used); live mode needs them. ``priority``: lower is tried first;
    ``weight``: share among equal priorities."""

    model_config = ConfigDict(extra="forbid")

    provider: Literal["paystack", "flutterwave", "stripe", "fincra"]
    mode: Literal["test", "live"]
    enabled: bool = True
    priority: int = Field(100, ge=0, le=10_000)
    weight: int = Field(1, ge=0, le=1_000)
    currencies: list[str] = Field(min_length=1, max_length=20)
    credentials: CredentialsIn | None = None


class ProviderConfigPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    priority: int | None = Field(None, ge=0, le=10_000)
    weight: int | None = Field(None, ge=0, le=1_000)
    currencies: list[str] | None = Field(None, min_length=1, max_length=20)
    credentials: CredentialsIn | None = None


class ProviderConfigOut(BaseModel):
    id: str
    provider: str
    mode: str
    enabled: bool
    priority: int
    weight: int
    currencies: list[str]
    credentials: dict[str, Any] | None = Field(
        description="a masked hint; null = the platform's sandbox keys (test mode)"
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: ProviderConfig, masked: dict[str, Any] | None) -> ProviderConfigOut:
        return cls(
            id=c.id,
            provider=c.provider,
            mode=c.mode,
            enabled=c.enabled,
            priority=c.priority,
            weight=c.weight,
            currencies=c.currencies,
            credentials=masked,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class RoutingRuleIn(BaseModel):
    """Payments matching every set condition go to ``providers`` first (in order, or the first
    drawn by ``weights``). Amounts minor units."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["test", "live"]
    priority: int = Field(100, ge=0, le=10_000)
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")
    min_amount: int | None = Field(None, ge=0, le=MAX_AMOUNT)
    max_amount: int | None = Field(None, ge=0, le=MAX_AMOUNT)
    channel: Literal["card", "bank_transfer", "ussd", "mobile_money", "qr"] | None = None
    providers: list[Literal["paystack", "flutterwave", "stripe"]] = Field(
        min_length=1, max_length=3
    )
    weights: list[int] | None = Field(None, min_length=1, max_length=3)


class RoutingRuleOut(BaseModel):
    id: str
    mode: str
    priority: int
    currency: str | None
    min_amount: int | None
    max_amount: int | None
    channel: str | None
    providers: list[str]
    weights: list[int] | None
    created_at: datetime

    @classmethod
    def of(cls, r: RoutingRule) -> RoutingRuleOut:
        return cls(
            id=r.id,
            mode=r.mode,
            priority=r.priority,
            currency=r.currency,
            min_amount=r.min_amount,
            max_amount=r.max_amount,
            channel=r.channel,
            providers=r.providers,
            weights=r.weights,
            created_at=r.created_at,
        )


class ProviderHealthOut(BaseModel):
    provider: str
    mode: str
    state: str = Field(description="closed (healthy) | opened (failing) | half-opened (probing)")
    available: bool
    failure_count: int
    opened_at: datetime | None
