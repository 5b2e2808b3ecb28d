"""The one error hierarchy. Services raise these; one handler renders them (see ``kit.api``).

Every error has a machine-readable ``code`` (snake_case, stable), a human ``message``, an HTTP
``status`` and optional ``details``. Modules subclass them (``OrderNotFound(NotFound)``) and set
``code``/``message`` as class attributes so call sites stay short.
"""

from __future__ import annotations

from typing import Any, ClassVar


class KroError(Exception):
    """Base of every expected failure. Renders as ``{"success": false, "error": {...}}``."""

    status: ClassVar[int] = 400
    code: str = "bad_request"
    message: str = "The request could not be processed."
    # True for the rare error whose writes must still commit (e.g. revoking a stolen token's
    # family before answering 401). The request/job owner honours it.
    commit_anyway: ClassVar[bool] = False

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.details = details
        self.http_status = status or type(self).status
        # Extra response headers (e.g. ``Retry-After`` on a 429).
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(KroError):
    status = 400


class Unauthorized(KroError):
    status = 401
    code = "unauthorized"
    message = "Authentication is required."


class Forbidden(KroError):
    status = 403
    code = "forbidden"
    message = "You are not allowed to do this."


class NotFound(KroError):
    status = 404
    code = "not_found"
    message = "Not found."


class Conflict(KroError):
    """The request is valid but not in the current state of the resource."""

    status = 409
    code = "conflict"
    message = "The resource is not in a state that allows this."


class Unprocessable(KroError):
    status = 422
    code = "validation_error"
    message = "The request is invalid."


class RateLimited(KroError):
    status = 429
    code = "rate_limited"
    message = "Too many requests."


class UpstreamError(KroError):
    """An external provider failed or answered something we cannot use."""

    status = 502
    code = "upstream_error"
    message = "A provider failed to answer correctly."


class InvalidTransition(Conflict):
    code = "invalid_state_transition"


class InvalidIdempotencyKey(Unprocessable):
    """An ``Idempotency-Key`` header that is not 1–255 printable ASCII characters
    (``kit.idempotency.validate_key``)."""

    code = "invalid_idempotency_key"
    message = "Idempotency-Key must be 1 to 255 printable ASCII characters."
