"""Errors leave a simulator in its provider's shape, never FastAPI's ``{"detail": ...}``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

Handler = Callable[[Request, Exception], Awaitable[JSONResponse]]


class ApiError(Protocol):
    """A simulator's expected failure: answered with ``body()`` at HTTP ``http_status``."""

    http_status: int

    def body(self) -> dict[str, Any]: ...


def install_error_handlers(
    app: FastAPI,
    *,
    provider: str,
    error_type: type[Exception],
    http_error: Callable[[str, int], dict[str, Any]],
    invalid: Callable[[str], dict[str, Any]],
    internal: Callable[[], dict[str, Any]],
) -> None:
    """Answer every error of ``app`` as ``provider`` would.

    ``error_type`` (an :class:`ApiError`): its own ``body()`` and ``http_status``.
    ``http_error(detail, status)``: the body of a routing error (404, 405, …).
    ``invalid(message)``: the body of a 400 for a request that fails validation
    (``"Invalid <field>: <why>"``). ``internal()``: the body of a 500 for a bug, logged as
    ``<provider>_sandbox_error``.
    """
    log = structlog.get_logger(f"kro.sandbox.{provider}")

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        error = cast(ApiError, exc)
        return JSONResponse(error.body(), status_code=error.http_status)

    async def routing_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return JSONResponse(http_error(str(exc.detail), exc.status_code), exc.status_code)

    async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ())[1:])
        message = f"Invalid {field or 'request'}: {first.get('msg', '')}"
        return JSONResponse(invalid(message), status_code=400)

    handlers: dict[type[Exception], Handler] = {
        error_type: api_error,
        StarletteHTTPException: routing_error,
        RequestValidationError: invalid_request,
    }
    for exc_type, handler in handlers.items():
        app.add_exception_handler(exc_type, handler)

    @app.middleware("http")
    async def unexpected(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # A bug answers the provider's 500 here and goes no further: mounted in a host app, an
        # ``Exception`` handler would re-raise into the host after the response was sent.
        try:
            return await call_next(request)
        except Exception as exc:
            log.exception(f"{provider}_sandbox_error", error=type(exc).__name__)
            return JSONResponse(internal(), status_code=500)
