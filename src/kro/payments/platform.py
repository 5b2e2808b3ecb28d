"""The platform's own provider accounts, through which the products (escrow, marketplace,
giving, pensions) collect money — the same adapters, routing, failover and breakers as a
merchant's configurations, with the keys and base URLs from settings instead of a tenant's
sealed credentials.

A platform configuration is a transient :class:`~kro.payments.models.ProviderConfig` (never
stored; ``tenant_id`` empty, ``mode`` :data:`PLATFORM`), so :mod:`kro.payments.routing` plans
over it exactly as over a tenant's. ``KRO_PAYMENTS_PROVIDERS`` orders them (first is tried
first); a product may ask for one provider (the buyer chose "Fincra").
"""

from __future__ import annotations

from kro.payments.models import ProviderConfig
from kro.providers import registry
from kro.providers.base import Credentials
from kro.providers.errors import UnknownProvider
from kro.settings import Settings

PLATFORM = "platform"
"""The ``mode`` of a platform configuration (and of its breakers)."""
DEDICATED: dict[str, str] = {"remita": "remita"}
"""Providers a product reaches through a payment method of their own (Remita's RRR, for
pension remittances), offered for that method even when ``KRO_PAYMENTS_PROVIDERS`` omits them."""


def credentials(settings: Settings, provider: str) -> Credentials:
    """The platform's keys with ``provider`` (``KRO_PAYSTACK_SECRET_KEY``, ``KRO_FINCRA_*``)."""
    if provider == "paystack":
        return Credentials(settings.paystack_secret_key)
    if provider == "fincra":
        return Credentials(
            settings.fincra_secret_key,
            webhook_secret=settings.fincra_webhook_secret,
            public_key=settings.fincra_public_key,
            account_id=settings.fincra_business_id,
        )
    if provider == "providus":
        return Credentials(settings.providus_client_secret, account_id=settings.providus_client_id)
    if provider == "remita":
        return Credentials(
            settings.remita_api_key,
            public_key=settings.remita_service_type_id,
            account_id=settings.remita_merchant_id,
        )
    raise UnknownProvider(f"The platform has no {provider} account.")


def base_url(settings: Settings, provider: str) -> str:
    """Where the platform reaches ``provider``: ``KRO_<PROVIDER>_BASE_URL`` (the mounted
    sandbox by default, the real API in production)."""
    if provider == "paystack":
        return settings.paystack_base_url
    if provider == "fincra":
        return settings.fincra_base_url
    if provider == "providus":
        return settings.providus_base_url
    if provider == "remita":
        return settings.remita_base_url
    raise UnknownProvider(f"The platform has no {provider} account.")


def timeout(settings: Settings, provider: str) -> float:
    """Seconds a call to ``provider`` may take (``KRO_PAYSTACK_TIMEOUT`` …)."""
    return float(getattr(settings, f"{provider}_timeout", settings.gateway_provider_timeout))


def configs(settings: Settings, method: str = "card") -> list[ProviderConfig]:
    """The platform's configurations offering ``method`` (``card``: a hosted checkout;
    ``bank_transfer``: a dynamic account to pay into), in ``KRO_PAYMENTS_PROVIDERS`` order
    (priority 0, 1, …), each taking every currency its provider takes."""
    found = []
    names = list(settings.payments_providers)
    names += [n for n in DEDICATED if DEDICATED[n] == method and n not in names]
    for priority, name in enumerate(names):
        spec = registry.spec(name)
        if method not in spec.methods:
            continue
        found.append(
            ProviderConfig(
                id=f"platform_{name}",
                tenant_id="",
                mode=PLATFORM,
                provider=name,
                enabled=True,
                priority=priority,
                weight=1,
                currencies=sorted(spec.currencies),
                credentials=None,
            )
        )
    return found


def config(provider: str) -> ProviderConfig:
    """The platform configuration of ``provider`` (it need not be routed to any more: a
    payment taken through it is still verified, refunded and reconciled with its keys)."""
    registry.spec(provider)
    return ProviderConfig(
        id=f"platform_{provider}",
        tenant_id="",
        mode=PLATFORM,
        provider=provider,
        enabled=True,
        priority=0,
        weight=1,
        currencies=sorted(registry.spec(provider).currencies),
        credentials=None,
    )
