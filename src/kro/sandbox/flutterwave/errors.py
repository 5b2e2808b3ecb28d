"""Flutterwave's error shape, raised by the simulator's use cases and rendered by one handler.

Every error is the v3 envelope with ``status: "error"``: ``{"status": "error", "message":
"...", "data": null}`` (developer.flutterwave.com; providers.md 2). The HTTP statuses are
401 for a bad key (message "Invalid authorization key"), 400 for bad input and business
refusals, 404 for an unknown object ("No transaction was found for this id") [U: statuses
other than the 401 are what public clients observe, not documented per endpoint].
"""

from __future__ import annotations

from typing import Any


class FlutterwaveApiError(Exception):
    """An expected failure, answered as Flutterwave would (HTTP ``http_status``)."""

    def __init__(self, message: str, *, http_status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status

    def body(self) -> dict[str, Any]:
        return {"status": "error", "message": self.message, "data": None}


def invalid_key() -> FlutterwaveApiError:
    return FlutterwaveApiError("Invalid authorization key", http_status=401)


def validation(message: str) -> FlutterwaveApiError:
    return FlutterwaveApiError(message, http_status=400)


def transaction_not_found() -> FlutterwaveApiError:
    return FlutterwaveApiError("No transaction was found for this id", http_status=404)


def not_found(message: str) -> FlutterwaveApiError:
    return FlutterwaveApiError(message, http_status=404)
