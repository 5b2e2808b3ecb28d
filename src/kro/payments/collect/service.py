"""``collect``: how every product takes money (DESIGN.md §3: products take money only through
``payments``). One pipeline with the merchant API: the same provider registry, routing,
failover and circuit breakers (:mod:`kro.payments.charges`), over the platform's own
provider accounts (:mod:`kro.payments.platform`); the same state machine
(:mod:`kro.payments.states`) with every transition a ``payment_events`` row; the same inbox,
verification and reconciliation. The product learns the outcome only through the outbox job
``"{purpose}.payment_completed"`` (or ``_failed``, ``_refunded``, ``_needs_review``) with
``{"payment_id", "purpose_id"}``.

The providers are called while **no database transaction is open** on the caller's session
(as for the merchant API): a product reads and checks what it needs in a short transaction
of its own first, then calls :func:`collect`, which offers the payment to the route and only
then writes the payment on the caller's session. Services only flush.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.kit.db import released
from kro.kit.ids import new_id
from kro.ledger.service import create_transfers
from kro.ledger.specs import TransferSpec
from kro.payments import charges, platform, routing, states
from kro.payments.errors import BankTransferUnavailable, NoProviderAvailable, PaymentNotFound
from kro.payments.models import Payment
from kro.providers import registry
from kro.providers.base import ChargeRequest
from kro.settings import Settings


@dataclass(frozen=True)
class CollectRequest:
    """What a product asks for: take ``amount`` minor units of ``currency`` from the payer
    (``payer_id``, ``email``) for ``(purpose, purpose_id)``, and once the provider confirms it,
    credit ledger account ``credit_account_id``.

    ``provider``: a provider the payer chose (None: routing decides, in
    ``KRO_PAYMENTS_PROVIDERS`` order with failover). ``method``: ``card`` (a hosted checkout:
    Paystack, Fincra) or ``bank_transfer`` (a one-time account to transfer to: Providus; the
    payer may send any amount — :mod:`kro.payments.bank_transfer.service`).
    ``callback_url``: where the hosted page sends the payer back. ``metadata``: strings only,
    passed to the provider.
    """

    purpose: str
    purpose_id: str
    payer_id: str | None
    email: str
    amount: int
    currency: str
    credit_account_id: str
    name: str | None = None
    phone: str | None = None
    provider: str | None = None
    method: str = "card"
    callback_url: str | None = None
    description: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    plan: str | None = None
    """A provider plan code: paying subscribes the payer (set by
    :func:`kro.payments.subscriptions.service.start`, not by products)."""


async def collect(session: AsyncSession, settings: Settings, request: CollectRequest) -> Payment:
    """Open a payment for ``request`` at the first provider of the route that takes it and
    record it: usually ``requires_action`` with ``authorization_url`` (the hosted page) to send
    the payer to; ``processing`` when the provider's answer was lost (reconciliation asks).

    A bank transfer is ``requires_action`` with the account in ``virtual_account_*`` and
    ``next_action`` (``{"type": "bank_transfer", "bank_name", "account_number",
    "account_name", "expires_at"}``), valid ``KRO_PROVIDUS_ACCOUNT_VALIDITY`` seconds.

    No row lock may be held on ``session`` (the caller reads without locking, then locks and
    re-checks after): the providers are asked before anything is written. Raises
    BankTransferUnavailable (422), NoProviderAvailable (422), nothing written;
    PaymentRejected (402) and ProvidersUnavailable (503) — for those two the failed payment is
    kept (their ``commit_anyway``) and the product hears ``{purpose}.payment_failed``.
    """
    if request.method == "bank_transfer" and (request.currency != "NGN" or not request.payer_id):
        raise BankTransferUnavailable()
    payment_id = new_id("pay")
    reference = payment_id.replace("_", "-")
    route_request = routing.RouteRequest(
        reference, request.amount, request.currency, provider=request.provider
    )
    candidates = platform.configs(settings, request.method)
    route = routing.plan(candidates, [], route_request, frozenset())
    if not route:
        raise NoProviderAvailable(
            f"No payment provider takes {request.currency}"
            + (f" through {request.provider}." if request.provider else "."),
            details={"currency": request.currency, "provider": request.provider},
        )
    if request.provider is not None:
        registry.spec(request.provider)  # 404 unknown_provider rather than a silent reroute
    async with released(session):  # no lock held while the provider answers (SQLite)
        offer = await charges.offer(
            settings, route, _charge_request(request, reference), platform.PLATFORM
        )
    payment = Payment(
        id=payment_id,
        provider=offer.config.provider if offer.config else "",
        reference=reference,
        amount=request.amount,
        currency=request.currency,
        status=states.PENDING,
        purpose=request.purpose,
        purpose_id=request.purpose_id,
        payer_id=request.payer_id,
        customer_email=request.email,
        credit_account_id=request.credit_account_id,
        channel=request.method,
        description=request.description,
        customer={"email": request.email, "name": request.name, "phone": request.phone},
        metadata_=dict(request.metadata) or None,
        routing=offer.attempts,
    )
    account = offer.charge.bank_account if offer.charge is not None else None
    if offer.charge is not None:
        payment.authorization_url = offer.charge.redirect_url
    if account is not None:
        _show_account(settings, payment, account)
    session.add(payment)
    await session.flush()
    actor = f"{request.purpose}:{request.payer_id}"
    await charges.record_offer(session, payment, offer, actor)
    return payment


def _show_account(settings: Settings, payment: Payment, account: Mapping[str, str]) -> None:
    """Where the payer transfers to, until when (the account expires unused)."""
    expires_at = utcnow() + timedelta(seconds=settings.providus_account_validity)
    payment.virtual_account_number = account.get("account_number")
    payment.virtual_account_name = account.get("account_name")
    payment.virtual_account_expires_at = expires_at
    payment.next_action = {
        "type": "bank_transfer",
        "bank_name": account.get("bank_name"),
        "account_number": account.get("account_number"),
        "account_name": account.get("account_name"),
        "expires_at": expires_at.isoformat(),
    }


def _charge_request(request: CollectRequest, reference: str) -> ChargeRequest:
    return ChargeRequest(
        reference=reference,
        amount=request.amount,
        currency=request.currency,
        email=request.email,
        name=request.name,
        phone=request.phone,
        return_url=request.callback_url,
        plan=request.plan,
        # also the name a dynamic account shows at name enquiry
        description=request.description or f"KRO {request.purpose.title()} {request.purpose_id}",
        metadata={
            **request.metadata,
            "purpose": request.purpose,
            "purpose_id": request.purpose_id,
        },
    )


async def get_payment(session: AsyncSession, payment_id: str) -> Payment:
    """A product's payment by id (the product scopes it to its caller). Raises
    PaymentNotFound (404)."""
    payment = await find_payment(session, payment_id)
    if payment is None:
        raise PaymentNotFound()
    return payment


async def find_payment(
    session: AsyncSession, payment_id: str, *, lock: bool = False
) -> Payment | None:
    """A payment by id, None if there is none; ``lock``: ``SELECT … FOR UPDATE`` and
    re-read (a job about to act on it)."""
    return await session.get(
        Payment, payment_id, with_for_update=lock or None, populate_existing=lock
    )


async def completed_payment_for(
    session: AsyncSession, purpose: str, purpose_id: str
) -> Payment | None:
    """A payment for ``(purpose, purpose_id)`` whose money was received (captured, or in
    review: ``kro.payments.states.RECEIVED``)."""
    stmt = select(Payment).where(
        Payment.purpose == purpose,
        Payment.purpose_id == purpose_id,
        Payment.status.in_(states.RECEIVED),
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def pay_from_wallet(
    session: AsyncSession, request: CollectRequest, wallet_account_id: str
) -> Payment:
    """Pay ``request.amount`` from the payer's KRO balance: one ledger transfer
    wallet → ``request.credit_account_id``, and a payment that is ``completed`` at once
    (provider ``wallet``; refunds go back to the wallet). Raises InsufficientFunds (409) when
    the wallet's available balance does not cover it; nothing is written then."""
    payment_id = new_id("pay")
    payment = Payment(
        id=payment_id,
        provider="wallet",
        reference=payment_id.replace("_", "-"),
        amount=request.amount,
        currency=request.currency,
        status=states.PENDING,
        amount_captured=request.amount,
        purpose=request.purpose,
        purpose_id=request.purpose_id,
        payer_id=request.payer_id,
        customer_email=request.email,
        credit_account_id=request.credit_account_id,
        paid_at=utcnow(),
    )
    session.add(payment)
    await session.flush()
    actor = f"{request.purpose}:{request.payer_id}"
    await charges.record_created(session, payment, actor)
    await charges.transition(session, payment, "submit", "paid from the wallet", actor)
    await charges.transition(session, payment, "succeed", "wallet debited", actor)
    await create_transfers(
        session,
        [
            TransferSpec(
                id=f"trf_{payment.id}_in",
                debit_account_id=wallet_account_id,
                credit_account_id=request.credit_account_id,
                amount=request.amount,
                currency=request.currency,
                code="payment.from_wallet",
                reference=payment.reference,
            )
        ],
    )
    return payment


async def count_by_status(session: AsyncSession) -> dict[tuple[str, str], int]:
    """``{(kind, status): n}`` over every payment; ``kind`` is ``product`` (a product's
    collection) or ``merchant`` (the merchant API's), for the operators' metrics."""
    kind = case((Payment.tenant_id.is_(None), "product"), else_="merchant")
    rows = await session.execute(
        select(kind, Payment.status, func.count()).group_by(kind, Payment.status)
    )
    return {(str(k), str(s)): int(n) for k, s, n in rows.all()}
