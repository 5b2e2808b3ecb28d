"""Provider clients built from settings (the sandbox on the embedded default)."""

from __future__ import annotations

from kro.providers.paystack.client import PaystackClient
from kro.settings import Settings


def paystack(settings: Settings) -> PaystackClient:
    """A Paystack client for ``KRO_PAYSTACK_BASE_URL`` / ``KRO_PAYSTACK_SECRET_KEY``.

    Use as ``async with paystack(settings) as client:``.
    """
    return PaystackClient(
        settings.paystack_base_url, settings.paystack_secret_key, timeout=settings.paystack_timeout
    )
