"""Provider failures, classified by what the caller may safely do next (DESIGN.md section 5).

=======================  ==========================================  ===========================
Error                    Meaning                                     What the caller does
=======================  ==========================================  ===========================
``ProviderUnavailable``  the request was not accepted: connection    retry later or fail over to
                         refused/reset before sending, DNS, 429,     another provider
                         5xx on a read or a non-money call
``ProviderTimeout``      the request may have been accepted: read    keep the operation
                         timeout, connection lost after sending,     ``processing``; reconcile
                         500/504 on a money-moving call, or an       with the verify endpoint;
                         unreadable 2xx answer                       never resend blindly
``ProviderRejected``     the provider answered 4xx (or               surface the provider's
                         ``status: false``) with its message/code    message; do not retry as is
=======================  ==========================================  ===========================

All are :class:`kro.kit.errors.UpstreamError` (HTTP 502/503/504 if they reach our API).
"""

from __future__ import annotations

from typing import Any, ClassVar

from kro.kit.errors import BadRequest, NotFound, UpstreamError


class ProviderError(UpstreamError):
    """Base of every provider failure; ``provider`` names the adapter (``"paystack"``)."""

    code = "provider_error"
    message = "The payment provider failed."

    def __init__(
        self,
        message: str | None = None,
        *,
        provider: str,
        operation: str,
        details: Any = None,
    ) -> None:
        super().__init__(message, details=details)
        self.provider = provider
        self.operation = operation


class ProviderUnavailable(ProviderError):
    """Not accepted by the provider; safe to retry or to fail over."""

    status: ClassVar[int] = 503
    code = "provider_unavailable"
    message = "The payment provider is unavailable."


class ProviderTimeout(ProviderError):
    """Outcome unknown: the provider may have acted. Reconcile; never resend blindly."""

    status: ClassVar[int] = 504
    code = "provider_timeout"
    message = "The payment provider did not answer in time; the outcome is unknown."


class ProviderRejected(ProviderError):
    """The provider refused the request (4xx). Carries its HTTP status, message and code."""

    status: ClassVar[int] = 502
    code = "provider_rejected"
    message = "The payment provider rejected the request."

    def __init__(
        self,
        message: str | None = None,
        *,
        provider: str,
        operation: str,
        provider_status: int,
        provider_code: str | None = None,
        provider_type: str | None = None,
        next_step: str | None = None,
    ) -> None:
        super().__init__(
            message,
            provider=provider,
            operation=operation,
            details={
                "provider": provider,
                "provider_status": provider_status,
                "provider_code": provider_code,
                "provider_message": message,
            },
        )
        self.provider_status = provider_status
        self.provider_code = provider_code
        self.provider_type = provider_type
        self.next_step = next_step


# Bodies that are not a provider's event (400), and providers we do not know (404).


class ProvidusNotificationInvalid(BadRequest):
    code = "invalid_webhook_payload"
    message = "The body is not a Providus settlement notification."


class StripeWebhookInvalid(BadRequest):
    code = "invalid_webhook_payload"
    message = "The webhook body is not a Stripe event."


class FlutterwaveWebhookInvalid(BadRequest):
    code = "invalid_webhook_payload"
    message = "The webhook body is not a Flutterwave event."


class PaystackWebhookInvalid(BadRequest):
    code = "invalid_webhook_payload"
    message = "The webhook body is not a Paystack event."


class FincraWebhookInvalid(BadRequest):
    code = "invalid_webhook_payload"
    message = "The webhook body is not a Fincra event."


class UnknownProvider(NotFound):
    code = "unknown_provider"
    message = "No such payment provider."
