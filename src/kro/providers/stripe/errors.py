"""Stripe SDK exceptions → :mod:`kro.providers.errors` (DESIGN.md section 5).

==============================================  =============================================
SDK exception                                   Ours
==============================================  =============================================
``APIConnectionError`` from a connect error     ``ProviderUnavailable`` (never sent)
(refused, DNS, connect/pool timeout)
``APIConnectionError`` otherwise (read timeout,  ``ProviderTimeout`` (maybe accepted)
connection lost after sending)
``CardError`` (402), ``InvalidRequestError``     ``ProviderRejected`` with Stripe's ``code``,
(400/404), ``IdempotencyError``,                 ``type`` and message
``AuthenticationError`` (401),
``PermissionError`` (403)
``RateLimitError`` (429)                        ``ProviderUnavailable``
``APIError`` (5xx, 409 key in use, unreadable   reads: ``ProviderUnavailable``; money-moving
body)                                           calls: ``ProviderTimeout`` — except a 503,
                                                which Stripe sends for a request it did not
                                                accept (``ProviderUnavailable``)
==============================================  =============================================
"""

from __future__ import annotations

import stripe

from kro.kit.http import not_sent
from kro.providers.errors import (
    ProviderError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)

PROVIDER = "stripe"
REJECTED = (
    stripe.CardError,
    stripe.InvalidRequestError,
    stripe.IdempotencyError,
    stripe.AuthenticationError,
    stripe.PermissionError,
)


def translate(exc: stripe.StripeError, operation: str, *, moves_money: bool) -> ProviderError:
    """The provider error for an SDK exception raised by ``operation``."""
    if isinstance(exc, stripe.APIConnectionError):
        if not_sent(exc.__cause__):
            return ProviderUnavailable(
                f"Stripe is unreachable: {type(exc.__cause__).__name__}",
                provider=PROVIDER, operation=operation,
            )  # fmt: skip
        return ProviderTimeout(
            f"No answer from Stripe: {type(exc.__cause__).__name__}",
            provider=PROVIDER, operation=operation,
        )  # fmt: skip
    if isinstance(exc, REJECTED):
        return rejected(exc, operation)
    status = exc.http_status
    if isinstance(exc, stripe.RateLimitError) or not moves_money or status == 503:
        return ProviderUnavailable(
            f"Stripe answered HTTP {status}", provider=PROVIDER, operation=operation
        )
    return ProviderTimeout(
        f"Stripe answered HTTP {status}; the outcome is unknown",
        provider=PROVIDER, operation=operation,
    )  # fmt: skip


def rejected(exc: stripe.StripeError, operation: str) -> ProviderRejected:
    """Stripe's 4xx with its message, ``code`` (``card_declined``…) and error ``type``; for a
    decline the ``decline_code`` is the ``next_step`` hint."""
    error = exc.error
    decline = getattr(error, "decline_code", None) if error is not None else None
    return ProviderRejected(
        exc.user_message or f"Stripe answered HTTP {exc.http_status}",
        provider=PROVIDER,
        operation=operation,
        provider_status=exc.http_status or 400,
        provider_code=exc.code or (getattr(error, "code", None) if error is not None else None),
        provider_type=getattr(error, "type", None) if error is not None else None,
        next_step=decline,
    )


def not_found(operation: str, what: str) -> ProviderRejected:
    """Stripe's 404 for a charge we looked for by our reference and did not find."""
    return ProviderRejected(
        f"No such payment_intent: {what}",
        provider=PROVIDER,
        operation=operation,
        provider_status=404,
        provider_code="resource_missing",
        provider_type="invalid_request_error",
    )
