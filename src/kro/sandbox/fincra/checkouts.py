"""Use cases on checkout payments: create, pay, decline, find; and their JSON shapes.

Every function takes the session and only flushes; the caller owns the transaction.

Shapes (amounts are major-unit numbers, e.g. ``101.51``):

- :func:`payment_data`, what verify answers and ``charge.successful`` carries: the fields of
  the charges webhook (docs.fincra.com/docs/charges-webhook: ``chargeReference, amount,
  amountExpected, amountReceived, amountToSettle, varianceType, currency, fee, vat, status,
  reference, description, type, customer, metadata, settlementDestination, settlementTime``)
  plus those of the checkout webhook table (``businessId, merchantReference, method,
  feeBearer, createdAt, updatedAt``). That the verify endpoint answers this same object is
  assumed [U]; public clients read ``status``, ``amount``, ``amountReceived``, ``currency``,
  ``merchantReference`` and ``businessId`` from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.sandbox.fincra import webhooks
from kro.sandbox.fincra.config import FincraSandboxConfig
from kro.sandbox.fincra.errors import FincraApiError, not_found
from kro.sandbox.fincra.models import Checkout
from kro.sandbox.fincra.util import (
    bps_of,
    major,
    new_charge_reference,
    new_merchant_reference,
    new_reference,
)


@dataclass(frozen=True)
class NewCheckout:
    """A validated ``POST /checkout/payments`` body; ``amount`` in minor units."""

    amount: int
    currency: str
    customer_name: str
    customer_email: str | None
    customer_phone: str | None = None
    reference: str | None = None
    fee_bearer: str = "business"
    redirect_url: str | None = None
    metadata: dict[str, Any] | None = None
    payment_methods: tuple[str, ...] = ("card", "bank_transfer")
    success_message: str | None = None
    settlement_destination: str = "wallet"


def fees(config: FincraSandboxConfig, amount: int) -> tuple[int, int]:
    """``(fee with VAT, VAT)`` in minor units on a collection of ``amount``."""
    base = bps_of(amount, config.fee_bps)
    if config.fee_cap:
        base = min(base, config.fee_cap)
    vat = bps_of(base, config.vat_bps)
    return base + vat, vat


async def create(
    session: AsyncSession, config: FincraSandboxConfig, business_id: str, new: NewCheckout
) -> Checkout:
    """Record a pending checkout. Raises FincraApiError 409 when the business already used
    ``new.reference`` [U: Fincra's answer to a duplicate reference is not documented]."""
    merchant_reference = new.reference or new_merchant_reference()
    taken = await session.scalar(
        select(Checkout.id).where(
            Checkout.business_id == business_id,
            Checkout.merchant_reference == merchant_reference,
        )
    )
    if taken is not None:
        raise FincraApiError(
            "A transaction with this reference already exists", http_status=409, error="Conflict"
        )
    fee, vat = fees(config, new.amount)
    now = clock.now()
    checkout = Checkout(
        business_id=business_id,
        reference=new_reference(),
        merchant_reference=merchant_reference,
        amount=new.amount,
        currency=new.currency,
        fee_bearer=new.fee_bearer,
        fee=fee,
        vat=vat,
        status="pending",
        customer_name=new.customer_name,
        customer_email=new.customer_email,
        customer_phone=new.customer_phone,
        meta=new.metadata or {},
        redirect_url=new.redirect_url,
        payment_methods=list(new.payment_methods),
        success_message=new.success_message,
        settlement_destination=new.settlement_destination,
        created_at=now,
        updated_at=now,
    )
    session.add(checkout)
    await session.flush()
    return checkout


def charged(checkout: Checkout) -> int:
    """What the customer is asked to pay (minor units): the fee on top when they bear it."""
    return checkout.amount + (checkout.fee if checkout.fee_bearer == "customer" else 0)


async def pay(
    session: AsyncSession,
    checkout: Checkout,
    *,
    method: str = "card",
    amount_received: int | None = None,
) -> Checkout:
    """The customer pays (``amount_received`` minor units, default exactly what was asked):
    ``success`` and a queued ``charge.successful``. Paying a paid checkout changes nothing."""
    if checkout.status == "success":
        return checkout
    now = clock.now()
    checkout.status = "success"
    checkout.method = method
    checkout.charge_reference = new_charge_reference(method)
    checkout.amount_received = charged(checkout) if amount_received is None else amount_received
    checkout.paid_at = checkout.updated_at = now
    await session.flush()
    await webhooks.enqueue(
        session,
        business_id=checkout.business_id,
        event="charge.successful",
        reference=checkout.reference,
        payload={"event": "charge.successful", "type": "charge", "data": payment_data(checkout)},
    )
    return checkout


async def decline(session: AsyncSession, checkout: Checkout) -> Checkout:
    """The customer's payment fails (e.g. the card is declined): ``failed``, and no webhook —
    Fincra sends one only for a successful checkout (docs: checkout-redirect, step 4)."""
    if checkout.status == "pending":
        checkout.status = "failed"
        checkout.updated_at = clock.now()
        await session.flush()
    return checkout


async def by_reference(
    session: AsyncSession, reference: str, *, for_update: bool = False
) -> Checkout | None:
    """A checkout by Fincra's reference (the hosted page's key), any business."""
    query = select(Checkout).where(Checkout.reference == reference)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def by_merchant_reference(
    session: AsyncSession, business_id: str | None, merchant_reference: str
) -> Checkout:
    """The business's checkout by its own reference; Fincra's 404 otherwise."""
    query = select(Checkout).where(Checkout.merchant_reference == merchant_reference)
    if business_id is not None:
        query = query.where(Checkout.business_id == business_id)
    checkout = await session.scalar(query.limit(1))
    if checkout is None:
        raise not_found()
    return checkout


def _variance(checkout: Checkout) -> str | None:
    if checkout.amount_received is None:
        return None
    expected = charged(checkout)
    if checkout.amount_received < expected:
        return "underpayment"
    return "overpayment" if checkout.amount_received > expected else None


def payment_data(c: Checkout) -> dict[str, Any]:
    """The checkout as verify reports it and webhooks carry it (major units)."""
    received = c.amount_received
    # The fee comes out of what arrived whoever bears it: a customer who bears it paid it on top.
    settled = (received or 0) - c.fee
    return {
        "id": c.id,
        "businessId": c.business_id,
        "chargeReference": c.charge_reference,
        "reference": c.reference,
        "merchantReference": c.merchant_reference,
        "amount": major(charged(c), c.currency),
        "amountExpected": major(charged(c), c.currency),
        "amountReceived": major(received, c.currency) if received is not None else None,
        "amountToSettle": major(max(settled, 0), c.currency),
        "varianceType": _variance(c),
        "currency": c.currency,
        "fee": major(c.fee, c.currency),
        "vat": major(c.vat, c.currency),
        "feeBearer": c.fee_bearer,
        "message": "",
        "actionRequired": None,
        "status": c.status,
        "description": "checkout",
        "type": c.method,
        "method": c.method,
        "customer": {
            "name": c.customer_name,
            "email": c.customer_email,
            "phoneNumber": c.customer_phone,
        },
        "metadata": c.meta or {},
        "settlementDestination": c.settlement_destination,
        "settlementTime": "instant",
        "createdAt": c.created_at.isoformat().replace("+00:00", "Z"),
        "updatedAt": c.updated_at.isoformat().replace("+00:00", "Z"),
    }
