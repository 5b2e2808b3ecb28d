"""``kro.kit.routing.guarded``: a router is matched only under its routes' literal prefixes,
with FastAPI's own matching, 405s and path parameters unchanged; a router whose prefixes
cannot be known is matched for every path."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI

from kro.kit.routing import EVERYTHING, PrefixGuard, guarded, literal_prefixes


def _router() -> APIRouter:
    inner = APIRouter(prefix="/v1/things")

    @inner.get("/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"thing": thing_id}

    outer = APIRouter()
    outer.include_router(inner)

    @outer.post("/v1/stuff")
    async def stuff() -> dict[str, bool]:
        return {"ok": True}

    return outer


async def test_matching_is_unchanged_and_prefixes_are_literal() -> None:
    outer = _router()
    assert literal_prefixes(outer) == ("/v1/stuff", "/v1/things/")
    app = FastAPI()
    router = guarded(outer)
    assert isinstance(router, PrefixGuard) and router is outer
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.get("/v1/things/42")).json() == {"thing": "42"}
        assert (await http.post("/v1/stuff")).json() == {"ok": True}
        assert (await http.get("/v1/stuff")).status_code == 405
        assert (await http.get("/v1/other")).status_code == 404


def test_an_unknown_prefix_matches_everything() -> None:
    class Custom(APIRouter):
        pass

    assert guarded(Custom()).__class__ is Custom  # only plain routers are guarded
    assert literal_prefixes(APIRouter()) == EVERYTHING
