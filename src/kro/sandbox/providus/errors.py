"""Providus's error shape, raised by the simulator's use cases and rendered by one handler.

Shape (providers.md 5.2)::

    {"requestSuccessful": false, "responseMessage": "...", "responseCode": "03"}

Providus answers most failures with ``responseCode`` ``"03"``; the HTTP status of each case is
not documented [U]: the simulator uses 400 for bad input, 401 for bad credentials, 404 for an
unknown account and 409 for an account that cannot take the operation.
"""

from __future__ import annotations

from typing import Any


class ProvidusApiError(Exception):
    """An expected failure, answered as Providus would (HTTP ``http_status``)."""

    def __init__(self, message: str, *, http_status: int = 400, code: str = "03") -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code

    def body(self) -> dict[str, Any]:
        return {
            "requestSuccessful": False,
            "responseMessage": self.message,
            "responseCode": self.code,
        }


def invalid_credentials() -> ProvidusApiError:
    """Missing or wrong ``Client-Id`` / ``X-Auth-Signature``."""
    return ProvidusApiError("Invalid Client-Id or X-Auth-Signature", http_status=401)


def account_not_found() -> ProvidusApiError:
    return ProvidusApiError("Account does not exist", http_status=404)
