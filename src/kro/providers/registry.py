"""The payment providers the merchant API can route to, by name (seed 003 §2.3).

:func:`build` makes an adapter for a name, a base URL and a merchant's credentials;
:func:`peek_webhook` reads an incoming webhook without credentials, to find whose it is before
it is verified. Adding a provider is one entry in :data:`PROVIDERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from kro.kit.errors import NotFound
from kro.providers.base import Credentials, PaymentProvider, WebhookHint


class UnknownProvider(NotFound):
    code = "unknown_provider"
    message = "No such payment provider."


@dataclass(frozen=True)
class ProviderSpec:
    """One provider: its adapter, the currencies it can take, whether it can authorize now
    and capture later, and which credential fields it needs besides ``secret_key``."""

    name: str
    factory: Callable[..., PaymentProvider]
    currencies: frozenset[str]
    supports_manual_capture: bool
    needs_webhook_secret: bool
    parse_webhook: Callable[[bytes], WebhookHint]


def _specs() -> dict[str, ProviderSpec]:
    from kro.providers.flutterwave.gateway import FlutterwaveGateway
    from kro.providers.paystack.gateway import PaystackGateway
    from kro.providers.stripe.gateway import StripeGateway

    return {
        "paystack": ProviderSpec(
            "paystack",
            PaystackGateway,
            frozenset({"NGN", "GHS", "ZAR", "KES", "USD"}),
            supports_manual_capture=False,
            needs_webhook_secret=False,
            parse_webhook=PaystackGateway.parse_webhook,
        ),
        "flutterwave": ProviderSpec(
            "flutterwave",
            FlutterwaveGateway,
            frozenset({"NGN", "GHS", "KES", "ZAR", "UGX", "USD", "EUR", "GBP"}),
            supports_manual_capture=False,
            needs_webhook_secret=True,
            parse_webhook=FlutterwaveGateway.parse_webhook,
        ),
        "stripe": ProviderSpec(
            "stripe",
            StripeGateway,
            frozenset({"USD", "EUR", "GBP", "NGN", "GHS", "KES", "ZAR", "CAD", "AUD"}),
            supports_manual_capture=True,
            needs_webhook_secret=True,
            parse_webhook=StripeGateway.parse_webhook,
        ),
    }


_PROVIDERS: dict[str, ProviderSpec] | None = None


def providers() -> dict[str, ProviderSpec]:
    """Every provider by name (adapters imported on first use)."""
    global _PROVIDERS
    if _PROVIDERS is None:
        _PROVIDERS = _specs()
    return _PROVIDERS


NAMES = ("paystack", "flutterwave", "stripe")


def spec(name: str) -> ProviderSpec:
    """The provider called ``name``; raises UnknownProvider (404)."""
    found = providers().get(name)
    if found is None:
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
    return spec(name).factory(base_url, credentials, timeout=timeout, http_client=http_client)


def peek_webhook(name: str, body: bytes) -> WebhookHint:
    """What a webhook body of provider ``name`` says (not yet verified); raises BadRequest."""
    return spec(name).parse_webhook(body)
