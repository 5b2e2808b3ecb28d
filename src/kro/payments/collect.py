"""``collect``: how every product takes money (DESIGN.md §3: products take money only through
``payments``). One pipeline with the merchant API: the same provider registry, routing,
failover and circuit breakers (:mod:`kro.payments.orchestration`), over the platform's own
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

from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.ids import new_id
from kro.payments import orchestration, platform, routing, states
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
    ``KRO_PAYMENTS_PROVIDERS`` order with failover). ``method``: the payment method asked for
    (``card``; bank transfer into a dynamic account is still ``kro.payments.bank_transfer``).
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


async def collect(session: AsyncSession, settings: Settings, request: CollectRequest) -> Payment:
    """Open a payment for ``request`` at the first provider of the route that takes it and
    record it: usually ``requires_action`` with ``authorization_url`` (the hosted page) to send
    the payer to; ``processing`` when the provider's answer was lost (reconciliation asks).

    ``session`` must have no transaction open (no statement run on it yet): the providers are
    asked first. Raises NoProviderAvailable (422, nothing written), PaymentRejected (402) and
    ProvidersUnavailable (503) — for those two the failed payment is kept (their
    ``commit_anyway``) and the product hears ``{purpose}.payment_failed``.
    """
    payment_id = new_id("pay")
    reference = payment_id.replace("_", "-")
    route_request = routing.RouteRequest(
        reference, request.amount, request.currency, provider=request.provider
    )
    route = routing.plan(platform.configs(settings), [], route_request, frozenset())
    if not route:
        raise orchestration.NoProviderAvailable(
            f"No payment provider takes {request.currency}"
            + (f" through {request.provider}." if request.provider else "."),
            details={"currency": request.currency, "provider": request.provider},
        )
    if request.provider is not None:
        registry.spec(request.provider)  # 404 unknown_provider rather than a silent reroute
    offer = await orchestration.offer(
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
    if offer.charge is not None:
        payment.authorization_url = offer.charge.redirect_url
    session.add(payment)
    await session.flush()
    await orchestration.record_offer(
        session, payment, offer, f"{request.purpose}:{request.payer_id}"
    )
    return payment


def _charge_request(request: CollectRequest, reference: str) -> ChargeRequest:
    return ChargeRequest(
        reference=reference,
        amount=request.amount,
        currency=request.currency,
        email=request.email,
        name=request.name,
        phone=request.phone,
        return_url=request.callback_url,
        description=request.description,
        metadata={
            **request.metadata,
            "purpose": request.purpose,
            "purpose_id": request.purpose_id,
        },
    )
