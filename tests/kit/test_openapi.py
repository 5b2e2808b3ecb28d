"""``kro.kit.openapi``: a route's error responses from its error classes, and the errors of
its dependencies and of request validation merged into the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header

from kro.kit import api
from kro.kit.api import ErrorEnvelope
from kro.kit.errors import Conflict, NotFound, Unauthorized
from kro.kit.openapi import CODES, error_responses, install, raises

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}


class ThingNotFound(NotFound):
    code = "thing_not_found"
    message = "No such thing."


class OtherThingNotFound(NotFound):
    code = "other_thing_not_found"
    message = "No such other thing."


class ThingLocked(Conflict):
    code = "thing_locked"
    message = "The thing is locked."


class TwinOfThingLocked(Conflict):
    code = "thing_locked"
    message = "Another message under the same code."


class NoKey(Unauthorized):
    code = "no_key"
    message = "A key is needed."


def test_one_entry_per_status_with_the_envelope_and_the_codes() -> None:
    responses = error_responses(ThingLocked, ThingNotFound, OtherThingNotFound, TwinOfThingLocked)

    assert list(responses) == [404, 409]
    assert responses[404] == {
        "model": ErrorEnvelope,
        "description": "- `thing_not_found`: No such thing.\n"
        "- `other_thing_not_found`: No such other thing.",
        CODES: ["thing_not_found", "other_thing_not_found"],
    }
    # One code is shown once, with the first class's message.
    assert responses[409]["description"] == "- `thing_locked`: The thing is locked."
    assert error_responses() == {}


def test_raises_marks_the_dependency_and_keeps_it_callable() -> None:
    def dependency() -> str:
        return "ok"

    marked = raises(NoKey)(raises(ThingLocked)(dependency))

    assert marked is dependency
    assert marked() == "ok"


@raises(NoKey)
async def key(x_key: Annotated[str | None, Header()] = None) -> str:
    """A dependency that declares what it raises."""
    return x_key or ""


def _document() -> dict[str, Any]:
    app = FastAPI()
    api.install(app)
    install(app)

    @app.get("/things/{thing_id}", responses=error_responses(ThingNotFound, ThingLocked))
    async def get_thing(thing_id: int, _: Annotated[str, Depends(key)]) -> dict[str, int]:
        return {"id": thing_id}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app.openapi()


def test_dependency_and_validation_errors_join_the_route_s_own() -> None:
    responses = _document()["paths"]["/things/{thing_id}"]["get"]["responses"]

    assert list(responses) == ["200", "401", "404", "409", "422"]
    assert responses["401"][CODES] == ["no_key"]
    assert responses["401"]["content"]["application/json"]["schema"] == ENVELOPE
    assert responses["404"][CODES] == ["thing_not_found"]
    # FastAPI's HTTPValidationError gives way to our envelope: what kit.api renders.
    assert responses["422"] == {
        "description": "- `validation_error`: The request is invalid.",
        "content": {"application/json": {"schema": ENVELOPE}},
        CODES: ["validation_error"],
    }


def test_a_route_without_input_or_dependencies_lists_no_error() -> None:
    document = _document()

    assert list(document["paths"]["/health"]["get"]["responses"]) == ["200"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "ErrorEnvelope" in document["components"]["schemas"]
