"""The HTTP metrics' ``handler`` label: :class:`kro.ops.metrics.RouteTemplatesByPrefix` names
every route of the app exactly as the library's own matcher does (it only looks among the
routers a path can reach, flattening each the first time into bare templates), for a request
to each route with each method (HEAD and OPTIONS too), to a path no route has, and to a path
that differs from a route only by its trailing slash."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from prometheus_fastapi_instrumentator import routing as instrumentator_routing
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.requests import Request

from kro.app import create_app
from kro.ops.metrics import RouteTemplatesByPrefix, _template_routes
from kro.settings import Settings


def _request(app: Any, method: str, path: str) -> Request:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "app": app}
    return Request({**scope, "headers": [], "query_string": b""})


def test_every_route_gets_the_librarys_template(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/kro.db"))
    ours = RouteTemplatesByPrefix(app=app)
    library = PrometheusInstrumentatorMiddleware(app=app)
    requests = [("GET", "/nowhere/at/all"), ("GET", "/v1/escrow/orders/"), ("POST", "/healthz")]
    for route in instrumentator_routing._effective_routes(app.routes):
        path = getattr(route, "path", None)
        if path is None:
            continue
        concrete = re.sub(r"\{[^}:]+:path\}", "a/b", re.sub(r"\{[^}:]+\}", "x1", path))
        methods = getattr(route, "methods", None) or {"GET"}
        for method in sorted(methods | {"HEAD", "OPTIONS"}):
            requests.append((method, concrete))
            if concrete != "/":  # the other form of the path (trailing slash or not)
                toggled = concrete[:-1] if concrete.endswith("/") else concrete + "/"
                requests.append((method, toggled))
    assert len(requests) > 500
    for method, path in requests:
        request = _request(app, method, path)
        assert ours._get_handler(request) == library._get_handler(request), (method, path)
    # Each router was flattened once, and only into bare templates (no router here holds a
    # route of another kind).
    assert 0 < len(ours._flat) <= len(app.routes)
    included = [r for r in app.routes if getattr(r, "original_router", None) is not None]
    assert all(_template_routes(r) is not None for r in included)
