"""Errors in the contract (STYLE.md 15): every operation in ``/docs`` lists, per HTTP status,
the machine-readable codes it can answer with, each in the error envelope of DESIGN.md
section 6 (:class:`kro.kit.api.ErrorEnvelope`).

A route's errors come from three places, and the OpenAPI document shows them all:

1. **The route** names what its service can raise::

       @router.get("/{order_id}", responses=error_responses(OrderNotFound))

2. **Its dependencies.** A dependency marked with :func:`raises` adds its errors to every
   route that depends on it, directly or through another dependency: authentication
   (``CurrentUser``: 401 ``invalid_token``, …), API-key rate limits, CAPTCHA,
   ``Idempotency-Key``. They are declared once, beside the code that raises them::

       @raises(InvalidToken, TokenExpired, UserInactive)
       async def current_user(...) -> User: ...

3. **Request validation.** An operation with parameters or a body can answer 422
   ``validation_error``: ``kit.api`` renders FastAPI's ``RequestValidationError`` in our
   envelope, so the document says so instead of showing FastAPI's ``HTTPValidationError``.

:func:`install` adds 2 and 3 to the document FastAPI builds. Each error response has the
envelope as its schema, a description with one ``- `code`: message`` line per code, and
``x-error-codes``, the same codes as a list for client generators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from kro.kit.api import ErrorEnvelope
from kro.kit.errors import KroError, Unprocessable

Responses = dict[int | str, dict[str, Any]]
"""What FastAPI takes as a route's ``responses=``."""

CODES = "x-error-codes"
"""The OpenAPI extension of an error response that lists its codes."""

VALIDATION_ERROR = Unprocessable
"""What ``kit.api`` answers for a request FastAPI cannot parse: 422 ``validation_error``."""

_RAISES = "__kro_raises__"
_JSON = "application/json"
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

F = TypeVar("F", bound=Callable[..., Any])


def error_responses(*errors: type[KroError]) -> Responses:
    """The ``responses=`` of a route that can raise ``errors``: one entry per HTTP status,
    the error envelope as its model, and its codes in the description and ``x-error-codes``.

    ``error_responses(OrderNotFound, NotOrderParty, InvalidTransition)`` →
    ``{403: {...not_allowed_for_party...}, 404: {...order_not_found...}, 409: {...}}``.
    A code listed twice (two classes, one code) is shown once, with the first message.
    """
    return {
        status: {
            "model": ErrorEnvelope,
            "description": "\n".join(_line(e) for e in group),
            CODES: [e.code for e in group],
        }
        for status, group in _by_status(errors).items()
    }


def raises(*errors: type[KroError]) -> Callable[[F], F]:
    """Mark a dependency as raising ``errors``: every route that depends on it lists them in
    its OpenAPI responses (see :func:`install`). Returns the dependency unchanged."""

    def mark(dependency: F) -> F:
        declared: tuple[type[KroError], ...] = getattr(dependency, _RAISES, ())
        setattr(dependency, _RAISES, (*declared, *errors))
        return dependency

    return mark


def dependency_errors(dependant: Dependant) -> list[type[KroError]]:
    """The errors declared with :func:`raises` by the dependencies of ``dependant`` (a
    route's), sub-dependencies included, in the order they run."""
    found: list[type[KroError]] = []
    for sub in dependant.dependencies:
        found += dependency_errors(sub)
        found += getattr(sub.call, _RAISES, ())
    return found


def api_routes(app: FastAPI) -> Iterator[RouteContext]:
    """The app's routes that the OpenAPI document shows, as FastAPI's OpenAPI sees them: each
    stands for its ``APIRoute`` with the prefix, responses and dependencies of every router it
    was included through."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            yield route


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` list, on every operation, the errors of its dependencies and of
    request validation beside those its route declares (the document is built once)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(build(), app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_errors(document: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """``document`` (FastAPI's OpenAPI of ``app``) with each operation's dependency and
    validation errors merged into its responses; changed in place and returned."""
    envelope = _envelope_schema(document)
    for route in api_routes(app):
        dependant: Dependant = route.dependant
        errors = dependency_errors(dependant)
        if get_flat_params(dependant) or route.body_field:  # FastAPI's rule for its 422
            errors.append(VALIDATION_ERROR)
        for method in route.methods or ():
            operation = document["paths"][route.path_format].get(method.lower())
            if operation is not None:
                _merge(operation.setdefault("responses", {}), errors, envelope)
                operation["responses"] = dict(sorted(operation["responses"].items()))
    schemas = document["components"]["schemas"]
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)  # no operation refers to them any more
    return document


def _merge(
    responses: dict[str, Any], errors: list[type[KroError]], envelope: dict[str, Any]
) -> None:
    """Add ``errors`` to an operation's ``responses``: codes not listed yet are appended to
    the response of their status, which is created if missing. FastAPI's own 422 goes."""
    fastapi_422 = responses.get("422", {}).get("content", {}).get(_JSON, {}).get("schema", {})
    if fastapi_422.get("$ref", "").endswith("/HTTPValidationError"):
        del responses["422"]
    for status, group in _by_status(errors).items():
        response = responses.setdefault(
            str(status), {"description": "", "content": {_JSON: {"schema": envelope}}}
        )
        codes: list[str] = response.setdefault(CODES, [])
        lines = [response["description"]] if response["description"] else []
        for error in group:
            if error.code not in codes:
                codes.append(error.code)
                lines.append(_line(error))
        response["description"] = "\n".join(lines)


def _envelope_schema(document: dict[str, Any]) -> dict[str, Any]:
    """The ``$ref`` to the error envelope in ``document``'s components, which are given its
    schema if no route named it."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    name = ErrorEnvelope.__name__
    if name not in schemas:
        schema = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
        for sub, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(sub, definition)
        schemas[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def _by_status(errors: Iterable[type[KroError]]) -> dict[int, list[type[KroError]]]:
    """``errors`` grouped by HTTP status (ascending), each code once (its first class)."""
    groups: dict[int, dict[str, type[KroError]]] = {}
    for error in errors:
        groups.setdefault(error.status, {}).setdefault(error.code, error)
    return {status: list(groups[status].values()) for status in sorted(groups)}


def _line(error: type[KroError]) -> str:
    return f"- `{error.code}`: {error.message}"
