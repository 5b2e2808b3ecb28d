"""The payment providers the merchant API can route to, by name (seed 003 §2.3).

:func:`build` makes an adapter for a name, a base URL and a merchant's credentials;
:func:`peek_webhook` reads an incoming webhook without credentials, to find whose it is before
it is verified. Adding a provider is one entry in :data:`PROVIDERS`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import httpx

from kro.providers.base import Credentials, PaymentProvider, WebhookHint
from kro.providers.errors import UnknownProvider


@dataclass(frozen=True)
class ProviderSpec:
    """One provider: where its adapter class lives (``module:Class``, imported on first use),
    the currencies it can take, whether it can authorize now and capture later, whether its
    webhooks are signed with a secret other than the API key, the payment ``methods`` it
    offers (``card``: a hosted checkout; ``bank_transfer``: a dynamic account to pay into),
    and whether merchants may configure it (``merchant_api``; else the platform's only), and
    whether its calls name the merchant's account (``needs_account_id``: Fincra's business
    id)."""

    name: str
    adapter_path: str
    currencies: frozenset[str]
    supports_manual_capture: bool
    needs_webhook_secret: bool
    methods: frozenset[str] = frozenset({"card"})
    merchant_api: bool = True
    needs_account_id: bool = False

    @property
    def adapter(self) -> type[PaymentProvider]:
        module, _, cls = self.adapter_path.partition(":")
        found: type[PaymentProvider] = getattr(importlib.import_module(module), cls)
        return found


_PROVIDERS: dict[str, ProviderSpec] = {
    "paystack": ProviderSpec(
        "paystack",
        "kro.providers.paystack.gateway:PaystackGateway",
        frozenset({"NGN", "GHS", "ZAR", "KES", "USD"}),
        supports_manual_capture=False,
        needs_webhook_secret=False,
    ),
    "flutterwave": ProviderSpec(
        "flutterwave",
        "kro.providers.flutterwave.gateway:FlutterwaveGateway",
        frozenset({"NGN", "GHS", "KES", "ZAR", "UGX", "USD", "EUR", "GBP"}),
        supports_manual_capture=False,
        needs_webhook_secret=True,
    ),
    "stripe": ProviderSpec(
        "stripe",
        "kro.providers.stripe.gateway:StripeGateway",
        frozenset({"USD", "EUR", "GBP", "NGN", "GHS", "KES", "ZAR", "CAD", "AUD"}),
        supports_manual_capture=True,
        needs_webhook_secret=True,
    ),
    "fincra": ProviderSpec(
        "fincra",
        "kro.providers.fincra.gateway:FincraGateway",
        frozenset({"NGN", "GHS", "KES", "UGX", "ZAR", "USD"}),
        supports_manual_capture=False,
        needs_webhook_secret=True,
        needs_account_id=True,
    ),
    "providus": ProviderSpec(
        "providus",
        "kro.providers.providus.gateway:ProvidusGateway",
        frozenset({"NGN"}),
        supports_manual_capture=False,
        needs_webhook_secret=False,
        methods=frozenset({"bank_transfer"}),
        merchant_api=False,  # its client id is not among a merchant's credentials yet
    ),
    "remita": ProviderSpec(
        "remita",
        "kro.providers.remita.gateway:RemitaGateway",
        frozenset({"NGN"}),
        supports_manual_capture=False,
        needs_webhook_secret=False,
        # "remita": an RRR paid on its hosted page or at a bank (kro.pensions); "card" keeps it
        # among the providers whose status endpoint the sweep asks (reconciliation).
        methods=frozenset({"card", "remita"}),
        merchant_api=False,  # the platform's own account, for pension remittances
    ),
}
NAMES = tuple(name for name, spec in _PROVIDERS.items() if spec.merchant_api)
"""The providers merchants may configure (routing rules, reconciliation, health)."""


def providers() -> dict[str, ProviderSpec]:
    """Every provider by name (the platform's own included)."""
    return _PROVIDERS


def spec(name: str) -> ProviderSpec:
    """The provider called ``name``; raises UnknownProvider (404)."""
    found = _PROVIDERS.get(name)
    if found is None:
        raise UnknownProvider(f"No payment provider {name!r}; known: {', '.join(NAMES)}.")
    return found


def merchant_spec(name: str) -> ProviderSpec:
    """The provider called ``name`` if merchants may configure it; raises UnknownProvider
    (404) otherwise."""
    found = spec(name)
    if not found.merchant_api:
        raise UnknownProvider(f"No payment provider {name!r}; known: {', '.join(NAMES)}.")
    return found


def build(
    name: str,
    base_url: str,
    credentials: Credentials,
    *,
    timeout: float,
    http_client: httpx.AsyncClient | None = None,
) -> PaymentProvider:
    """An adapter for ``name`` talking to ``base_url`` with ``credentials``."""
    adapter: Any = spec(name).adapter
    built: PaymentProvider = adapter(
        base_url, credentials, timeout=timeout, http_client=http_client
    )
    return built


def peek_webhook(name: str, body: bytes) -> WebhookHint:
    """What a webhook body of provider ``name`` says (not yet verified); raises BadRequest."""
    adapter: Any = spec(name).adapter  # parse_webhook is a staticmethod: no credentials
    hint: WebhookHint = adapter.parse_webhook(body)
    return hint
