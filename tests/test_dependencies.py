"""Every dependency of every route is ``async``: FastAPI runs a plain ``def`` dependency in a
worker thread, a thread hop and GIL hand-offs on each request (bench/webhook_intake.py
--py-spy showed ~5 % of a request's samples in that thread hop)."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from kro.app import create_app
from kro.settings import Settings


def _sync_calls(dependant: Dependant, found: set[str]) -> set[str]:
    for sub in dependant.dependencies:
        call: Any = sub.call
        if call is not None and not (
            inspect.iscoroutinefunction(call)
            or inspect.isasyncgenfunction(call)
            or inspect.iscoroutinefunction(call.__call__)
        ):
            found.add(f"{call.__module__}.{getattr(call, '__qualname__', repr(call))}")
        _sync_calls(sub, found)
    return found


def test_no_route_runs_a_dependency_in_a_thread(settings: Settings) -> None:
    app = create_app(settings)
    found: set[str] = set()
    routes = 0
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context.original_route, "dependant", None)
        if dependant is not None:
            routes += 1
            _sync_calls(dependant, found)
    assert routes > 400  # the whole platform was walked
    assert found == set()
