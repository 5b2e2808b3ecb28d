"""Errors in the contract (STYLE.md 15): the platform's OpenAPI document lists, on every
operation, the error codes it can return, each status in the error envelope, each code in the
description that ``/docs`` shows (``kro.kit.openapi``).

A route declares its own errors with ``responses=error_responses(...)``; its dependencies'
(authentication, rate limit, CAPTCHA, ``Idempotency-Key``) and request validation's are
added to the document. This test cannot know what a service raises; it checks that every
operation declares errors and that what is declared reaches ``/docs`` whole.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from kro.app import create_app
from kro.kit.api import ErrorEnvelope
from kro.kit.openapi import CODES, api_routes
from kro.settings import Settings

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}
METHODS = {"get", "put", "post", "delete", "patch"}

# Operations whose route does not declare its own errors yet (no ``responses=
# error_responses(...)``): the files other work is restructuring. Their dependencies' and
# validation errors are listed already. Once a route declares its errors, the last test fails
# until its entry is removed; an entry whose route truly raises nothing of its own is simply
# removed when reviewed.
NOT_YET_DECLARED: frozenset[tuple[str, str]] = frozenset(
    {
        # Providus's settlement notifications are always answered 200 with Providus's own
        # responseCode (00/01/02/03): its contract has no error status (providers.md 5.2).
        ("POST", "/v1/webhooks/providus"),
    }
)


@pytest.fixture(scope="module")
def app() -> FastAPI:
    """The app as ``tests/test_openapi.py`` builds it (test settings; never started)."""
    scratch = "sqlite+aiosqlite:///:memory:"
    return create_app(Settings(env="test", database_url=scratch, sandbox_database_url=scratch))


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """``(METHOD, path) → operation``, the sandboxes' and the docs' own pages left out."""
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        if not path.startswith("/sandbox")
        for method, operation in item.items()
        if method in METHODS
    }


def _errors(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s: r for s, r in operation["responses"].items() if s[0] in "45"}


def _codes(operation: dict[str, Any], status: str) -> list[str]:
    codes: list[str] = operation["responses"][status][CODES]
    return codes


def test_every_operation_declares_its_errors(document: dict[str, Any]) -> None:
    missing = [
        f"{method} {path}"
        for (method, path), operation in _operations(document).items()
        if (method, path) not in NOT_YET_DECLARED
        and not any(s.startswith("4") for s in _errors(operation))
    ]
    assert not missing, f"no 4xx error response (responses=error_responses(...)): {missing}"


def test_error_responses_are_the_envelope_and_show_their_codes(document: dict[str, Any]) -> None:
    problems = []
    for (method, path), operation in _operations(document).items():
        for status, response in _errors(operation).items():
            where = f"{method} {path} {status}"
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if schema != ENVELOPE:
                problems.append(f"{where}: schema {schema}, not the error envelope")
            codes = response.get(CODES)
            if not codes:
                problems.append(f"{where}: lists no error code")
            problems += [
                f"{where}: `{code}` is not in the description shown in /docs"
                for code in codes or ()
                if f"`{code}`" not in response.get("description", "")
            ]
    assert not problems, "\n".join(problems)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_route_dependency_and_validation_errors_are_merged(document: dict[str, Any]) -> None:
    operations = _operations(document)
    me = operations["GET", "/v1/me"]
    assert _codes(me, "401") == ["unauthorized", "invalid_token", "token_expired"]
    assert _codes(me, "403") == ["user_inactive"]
    assert "422" not in me["responses"]  # nothing to validate

    order = operations["POST", "/v1/escrow/orders"]
    assert {"seller_not_found", "idempotency_key_reused", "validation_error"} <= set(
        _codes(order, "422")
    )
    assert _codes(order, "409") == ["idempotency_key_in_use"]

    balance = operations["GET", "/v1/balance"]
    assert _codes(balance, "401") == ["invalid_api_key"]
    assert _codes(balance, "429") == ["rate_limited"]

    admin = operations["POST", "/v1/admin/payouts/{payout_id}/approve"]
    assert _codes(admin, "403") == ["totp_required", "user_inactive", "admin_required"]


def test_the_allow_list_is_current(app: FastAPI, document: dict[str, Any]) -> None:
    operations = _operations(document)
    stale = sorted(f"{m} {p}" for m, p in NOT_YET_DECLARED if (m, p) not in operations)
    assert not stale, f"NOT_YET_DECLARED names operations that do not exist: {stale}"
    declared = sorted(
        f"{method} {route.path_format}"
        for route in api_routes(app)
        for method in route.methods or ()
        if (method, route.path_format) in NOT_YET_DECLARED
        and any(r.get("model") is ErrorEnvelope for r in route.responses.values())
    )
    assert not declared, f"these routes declare their errors now; remove from the list: {declared}"
