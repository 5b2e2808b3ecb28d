"""Paystack's error envelope, raised by the simulator's use cases and rendered by one handler.

Shape (paystack.com/docs/api/errors)::

    {"status": false, "message": "...", "meta": {"nextStep": "..."},
     "type": "validation_error", "code": "..."}

Older endpoints answer only ``{"status": false, "message": "..."}``: pass ``code=None``.
"""

from __future__ import annotations

from typing import Any


class PaystackApiError(Exception):
    """An expected failure, answered as Paystack would (HTTP ``http_status``)."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int = 400,
        code: str | None = "invalid_params",
        type_: str = "validation_error",
        next_step: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code
        self.type = type_
        self.next_step = next_step

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        body: dict[str, Any] = {"status": False, "message": self.message}
        if self.code is None:
            return body
        body["meta"] = {"nextStep": self.next_step or "Check the request and try again"}
        body["type"] = self.type
        body["code"] = self.code
        return body


def invalid_key() -> PaystackApiError:
    """401 for a missing or unknown secret key (Paystack answers only status and message)."""
    return PaystackApiError("Invalid key", http_status=401, code=None)


def transaction_not_found() -> PaystackApiError:
    return PaystackApiError(
        "Transaction reference not found",
        code="transaction_not_found",
        next_step="Ensure that you're passing the reference of a transaction that exists on "
        "this integration",
    )


def insufficient_balance() -> PaystackApiError:
    return PaystackApiError(
        "Your balance is not enough to fulfil this request",
        code="insufficient_balance",
        next_step="Top up your Paystack balance and try again",
    )
