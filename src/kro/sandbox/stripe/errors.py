"""Stripe's error shape (docs.stripe.com/api/errors), raised by the use cases and rendered by
one handler::

    HTTP 400 | 401 | 402 | 404 | 409 | 500
    {"error": {"type": "invalid_request_error" | "card_error" | "api_error"
                       | "idempotency_error",
               "code"?, "decline_code"?, "message", "param"?, "doc_url"?,
               "payment_intent"?}}

Statuses as Stripe uses them: 400 bad parameters, 401 no or bad API key, 402 the request was
valid but failed (a declined card), 404 no such object, 409 idempotency key in use, 5xx ours.
"""

from __future__ import annotations

from typing import Any

DOCS = "https://stripe.com/docs/error-codes"


class StripeApiError(Exception):
    """An expected failure answered as Stripe would. ``keep``: the work done before the error
    is committed and the answer stored for the ``Idempotency-Key`` (a declined card changes the
    PaymentIntent); otherwise everything rolls back and nothing is stored (bad parameters)."""

    def __init__(
        self,
        message: str,
        *,
        type: str = "invalid_request_error",
        http_status: int = 400,
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
        keep: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.type = type
        self.http_status = http_status
        self.code = code
        self.param = param
        self.extra = extra or {}
        self.keep = keep

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"{DOCS}#{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": {**error, **self.extra}}


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeApiError:
    """400 ``invalid_request_error`` (``parameter_missing``, ``parameter_invalid_integer``…)."""
    return StripeApiError(message, param=param, code=code or "parameter_invalid")


def missing(param: str) -> StripeApiError:
    return StripeApiError(
        f"Missing required param: {param}.", param=param, code="parameter_missing"
    )


def no_such(kind: str, object_id: str, param: str = "id") -> StripeApiError:
    """404 ``resource_missing``, Stripe's words: ``No such payment_intent: 'pi_…'``."""
    return StripeApiError(
        f"No such {kind}: '{object_id}'", http_status=404, code="resource_missing", param=param
    )


def unexpected_state(message: str, extra: dict[str, Any] | None = None) -> StripeApiError:
    """400 ``payment_intent_unexpected_state`` (capture of a PI that is not ``requires_capture``,
    cancel of a succeeded one…)."""
    return StripeApiError(message, code="payment_intent_unexpected_state", extra=extra)


def unauthorized(message: str | None = None) -> StripeApiError:
    return StripeApiError(
        message
        or "You did not provide an API key. You need to provide your API key in the "
        "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        http_status=401,
    )


def invalid_key(key: str) -> StripeApiError:
    shown = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "***"
    return StripeApiError(f"Invalid API Key provided: {shown}", http_status=401)
