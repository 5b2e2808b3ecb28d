"""HTTP plumbing shared by every router: the response envelope, request ids, error handlers.

Envelope (DESIGN.md section 6, seed 003 section 6.3)::

    {"success": true, "data": ..., "meta": {"request_id": "req_…", "timestamp": "…"}}
    {"success": false, "error": {"code": "order_not_found", "message": "…", "details": …},
     "meta": {...}}

Lists add ``meta.pagination``. Every response carries ``X-Request-ID``.
"""

from __future__ import annotations

import re
from typing import Any, Generic, TypeVar

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kro.kit.clock import utcnow
from kro.kit.context import current_request_id, request_id_var
from kro.kit.errors import KroError
from kro.kit.ids import new_id

T = TypeVar("T")
log = structlog.get_logger("kro.api")
_SAFE_RID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


class Pagination(BaseModel):
    """Cursor pagination: pass ``next_cursor`` as ``?cursor=`` to get the next page."""

    limit: int
    has_more: bool
    next_cursor: str | None = None


class Meta(BaseModel):
    request_id: str
    timestamp: str
    pagination: Pagination | None = None


class Envelope(BaseModel, Generic[T]):
    """Successful response: ``data`` is the resource (or list of resources)."""

    success: bool = True
    data: T
    meta: Meta


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorEnvelope(BaseModel):
    """Failed response: ``error.code`` is machine-readable and stable; each route lists the
    codes it can return in its OpenAPI responses (``kro.kit.openapi``)."""

    success: bool = False
    error: ErrorBody
    meta: Meta


def _meta(pagination: Pagination | None = None) -> Meta:
    return Meta(
        request_id=current_request_id(),
        timestamp=utcnow().isoformat().replace("+00:00", "Z"),
        pagination=pagination,
    )


def ok(data: T, *, pagination: Pagination | None = None) -> Envelope[T]:
    """Wrap ``data`` in the success envelope."""
    return Envelope[T](data=data, meta=_meta(pagination))


def error_response(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    """Render an error in the envelope."""
    body = ErrorEnvelope(error=ErrorBody(code=code, message=message, details=details), meta=_meta())
    return JSONResponse(status_code=status, content=jsonable_encoder(body))


class RequestIdMiddleware:
    """Every HTTP request gets an id — the caller's ``X-Request-ID`` when it is safe, else a
    new ``req_…`` — bound to the logs and the trace, and returned as ``X-Request-ID``; an
    error nothing else rendered becomes the enveloped 500 with that id; a NUL in the path or
    query is a 400 before anything reads it.

    Plain ASGI rather than ``BaseHTTPMiddleware``, which adds a task group and memory streams
    to every request (measured in bench/payments_api.py's profile)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id")
        rid = incoming if incoming and _SAFE_RID.match(incoming) else new_id("req")
        token = request_id_var.set(rid)
        structlog.contextvars.bind_contextvars(request_id=rid)
        span = trace.get_current_span()  # a no-op span unless OpenTelemetry is configured
        if span.is_recording():
            span.set_attribute("kro.request_id", rid)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
                response = error_response(
                    400, "invalid_input", "The request contains a NUL character."
                )
                await response(scope, receive, send_with_id)
                return
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # rendered here so the 500 keeps its request id
            if started:
                raise
            await _internal_error(exc)(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
            request_id_var.reset(token)


def install(app: FastAPI) -> None:
    """Add the request-id middleware and the error handlers to ``app``."""

    app.add_middleware(RequestIdMiddleware)

    @app.exception_handler(KroError)
    async def kro_error(_: Request, exc: KroError) -> JSONResponse:
        response = error_response(exc.http_status, exc.code, exc.message, exc.details)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        return error_response(422, "validation_error", "The request is invalid.", fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(DBAPIError)
    async def database_error(_: Request, exc: DBAPIError) -> JSONResponse:
        # SQLSTATE class 22 (data exception: NUL byte, value out of range, …) is the client's
        # input that the database refused; anything else is ours.
        if str(getattr(exc.orig, "sqlstate", "") or "").startswith("22"):
            log.warning("database_refused_value", error=str(exc.orig)[:300])
            return error_response(400, "invalid_input", "A value in the request is not accepted.")
        return _internal_error(exc)


def _internal_error(exc: Exception) -> JSONResponse:
    log.error("unhandled_error", error=type(exc).__name__, exc_info=exc)
    return error_response(500, "internal_error", "An unexpected error occurred.")
