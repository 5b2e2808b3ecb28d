"""Route matching that scales with the number of modules.

FastAPI (0.16x) matches a request by asking every included router in turn, and each router
asks each of its routes (with per-route scope bookkeeping): a request for a late route, or a
404, walks the whole application — ~2.4 ms of CPU for a 404 with the platform's ~950 routes,
1.5 ms for a product's page (measured in-process). :func:`guarded` puts a router behind the
literal prefixes of its paths (``/v1/giving``, ``/admin/giving`` …), so a request outside
them costs one ``str.startswith`` for that router instead of a walk of its routes. Matching,
405s, redirects and OpenAPI are FastAPI's own, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

EVERYTHING = ("",)


class PrefixGuard(APIRouter):
    """An :class:`APIRouter` matched only for paths that start with one of ``prefixes``
    (everything when a route's prefix cannot be known)."""

    prefixes: tuple[str, ...] = EVERYTHING

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not get_route_path(scope).startswith(self.prefixes):
            return Match.NONE, {}
        return super().matches(scope)


def guarded(router: APIRouter) -> APIRouter:
    """``router`` itself, matched only for paths under its routes' literal prefixes (see the
    module). A plain :class:`APIRouter` becomes a :class:`PrefixGuard` in place — no extra
    router level, which would cost every request that does reach it — once all its routes
    are added; any other router class is returned as it is."""
    if type(router) is not APIRouter:
        return router
    prefixes = literal_prefixes(router)
    router.__class__ = PrefixGuard
    assert isinstance(router, PrefixGuard)
    router.prefixes = prefixes
    return router


def literal_prefixes(router: APIRouter) -> tuple[str, ...]:
    """The literal start of every route path of ``router`` (up to the first ``{``), nested
    routers and their include prefixes included; :data:`EVERYTHING` if one is unknown."""
    found: set[str] = set()
    for path in _paths(router.routes, ""):
        if path is None:
            return EVERYTHING
        found.add(path.split("{", 1)[0])
    return tuple(sorted(found)) or EVERYTHING


def _paths(routes: list[BaseRoute], prefix: str) -> Iterator[str | None]:
    for route in routes:
        original = getattr(route, "original_router", None)
        if isinstance(original, APIRouter):  # an included router (FastAPI's own wrapper)
            context = getattr(route, "include_context", None)
            yield from _paths(original.routes, prefix + (getattr(context, "prefix", "") or ""))
            continue
        path = getattr(route, "path", None)
        yield prefix + path if isinstance(path, str) else None
