"""Fincra's error shapes, raised by the simulator's use cases and rendered by one handler.

- Authentication (docs.fincra.com/reference/api-authentication): 401
  ``{"message": "No API key found in request"}`` / ``{"message": "Invalid authentication
  credentials"}``; a missing business id: 401 ``{"message": "x-business-id must be provided in
  the header", "error": "Unauthorized", "statusCode": 401}``.
- Everything else: ``{"success": false, "error": ..., "message": ...}`` [U: the docs show the
  ``success``/``error`` pair for payload validation only; statuses 400/404/409 assumed].
"""

from __future__ import annotations

from typing import Any


class FincraApiError(Exception):
    """An expected failure, answered as Fincra would (HTTP ``http_status``)."""

    def __init__(
        self, message: str, *, http_status: int = 400, error: str | None = None, bare: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.error = error
        self.bare = bare

    def body(self) -> dict[str, Any]:
        if self.bare:
            body: dict[str, Any] = {"message": self.message}
            if self.error:
                body |= {"error": self.error, "statusCode": self.http_status}
            return body
        return {"success": False, "error": self.error or "Bad Request", "message": self.message}


def no_api_key() -> FincraApiError:
    return FincraApiError("No API key found in request", http_status=401, bare=True)


def invalid_credentials() -> FincraApiError:
    return FincraApiError("Invalid authentication credentials", http_status=401, bare=True)


def business_id_required() -> FincraApiError:
    return FincraApiError(
        "x-business-id must be provided in the header",
        http_status=401,
        error="Unauthorized",
        bare=True,
    )


def validation(message: str) -> FincraApiError:
    return FincraApiError(message, error="Error occurred during payload validation")


def not_found(message: str = "Payment not found") -> FincraApiError:
    return FincraApiError(message, http_status=404, error="Not Found")
