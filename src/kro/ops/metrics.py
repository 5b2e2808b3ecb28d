"""Business metrics beside the HTTP ones (:func:`instrument_http`), for ``/metrics``
(Prometheus text format).

Gauges read from the database when scraped (at most every ``REFRESH`` seconds per process,
so a tight scrape interval cannot load the database):

- ``kro_payments{kind, status}``: payments by ``product`` / ``merchant`` and status;
- ``kro_payouts{status}``; ``kro_webhook_deliveries{status}`` (outgoing, to merchants);
- ``kro_jobs{status}`` (``dead`` = dead-lettered), ``kro_jobs_due`` (queued and due now)
  and ``kro_jobs_oldest_due_seconds`` (how long the oldest due job has waited: the
  workers' lag; alert when it grows);
- ``kro_provider_circuit_open{provider, mode}``: 1 while a provider's breaker is open.
"""

from __future__ import annotations

import time
from typing import Any, cast

from fastapi import FastAPI
from fastapi.routing import APIRoute
from prometheus_client import CollectorRegistry, Gauge
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator import routing as instrumentator_routing
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Scope

from kro.jobs import service as jobs
from kro.kit.clock import utcnow
from kro.kit.routing import EVERYTHING, PrefixGuard
from kro.payments.breaker import breakers
from kro.payments.collect import service as payments
from kro.payouts import service as payouts
from kro.providers import registry
from kro.settings import Settings
from kro.webhooks import service as webhooks

REFRESH = 5.0
MODES = ("test", "live")

PAYMENTS = Gauge("kro_payments", "Payments by kind and status.", ["kind", "status"])
PAYOUTS = Gauge("kro_payouts", "Payouts by status.", ["status"])
DELIVERIES = Gauge("kro_webhook_deliveries", "Outgoing webhook deliveries.", ["status"])
JOBS = Gauge("kro_jobs", "Jobs by status (dead = dead-lettered).", ["status"])
JOBS_DUE = Gauge("kro_jobs_due", "Queued jobs whose time has come.")
JOBS_LAG = Gauge("kro_jobs_oldest_due_seconds", "Seconds the oldest due job has waited.")
CIRCUITS = Gauge(
    "kro_provider_circuit_open",
    "1 while a provider's circuit breaker is open.",
    ["provider", "mode"],
)

_last_refresh = 0.0


def _set_all(gauge: Gauge, values: dict[tuple[str, ...], int]) -> None:
    gauge.clear()  # a status that disappeared must not keep its last value
    for labels, value in values.items():
        gauge.labels(*labels).set(value)


async def refresh(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, *, force: bool = False
) -> None:
    """Read the business gauges again unless they were read less than ``REFRESH`` s ago."""
    global _last_refresh
    if not force and time.monotonic() - _last_refresh < REFRESH:
        return
    _last_refresh = time.monotonic()
    async with sessions() as session:
        _set_all(PAYMENTS, {k: v for k, v in (await payments.count_by_status(session)).items()})
        _set_all(PAYOUTS, {(k,): v for k, v in (await payouts.count_by_status(session)).items()})
        _set_all(
            DELIVERIES, {(k,): v for k, v in (await webhooks.count_by_status(session)).items()}
        )
        _set_all(JOBS, {(k,): v for k, v in (await jobs.count_by_status(session)).items()})
        due, lag = await jobs.queue_health(session, utcnow())
    JOBS_DUE.set(due)
    JOBS_LAG.set(lag)
    circuits = breakers(settings)
    for name in sorted(set(registry.NAMES) | set(settings.payments_providers)):
        for mode in MODES:
            state = await circuits.state(name, mode)
            CIRCUITS.labels(name, mode).set(1 if state["state"] == "opened" else 0)


def instrument_http(app: FastAPI) -> CollectorRegistry:
    """HTTP metrics per route template (``http_requests_total{handler, method, status}``,
    ``http_request_duration_seconds``), by prometheus-fastapi-instrumentator; the probes and
    the scrape itself are left out. They live in a registry of the app's own (kept as
    ``app.state.http_metrics``: an app built twice in one process, as tests do, must not
    share counters), served by our ``/metrics`` after the process-wide gauges above."""
    registry = CollectorRegistry()
    Instrumentator(
        should_group_status_codes=False,
        excluded_handlers=["/metrics", "/healthz", "/readyz"],
        registry=registry,
    ).instrument(app)
    for middleware in app.user_middleware:
        if middleware.cls is cast(Any, PrometheusInstrumentatorMiddleware):
            middleware.cls = cast(Any, RouteTemplatesByPrefix)
    app.state.http_metrics = registry
    return registry


RouteGroup = tuple[tuple[str, ...], BaseRoute]
"""The literal prefixes that guard a router, and the router as the app holds it."""


async def _never(request: Request) -> None:  # pragma: no cover - matched, never called
    raise AssertionError("a route template for metrics is never called")


def _template_routes(route: BaseRoute, prefix: str = "") -> list[BaseRoute] | None:
    """``route`` flattened in the library's order, each FastAPI route of an included router
    as a bare Starlette route of the same full path (the include prefixes, as FastAPI joins
    them) and the same methods: it matches a request as FastAPI's resolved route does (the
    path's pattern, then the method), without building that route, which analyses every
    dependency and model again (0.01–0.3 s of CPU per router of this app, measured
    one by one on 2026-12-06; ~1 s for all of them). ``None`` when an included
    router holds a route of another kind: then the library's flattening applies."""
    original = getattr(route, "original_router", None)
    if original is None:
        return [route]  # not an included router: the library passes it as it is
    prefix += getattr(getattr(route, "include_context", None), "prefix", "") or ""
    flat: list[BaseRoute] = []
    for child in original.routes:
        if getattr(child, "original_router", None) is not None:
            nested = _template_routes(child, prefix)
            if nested is None:
                return None
            flat += nested
        elif isinstance(child, APIRoute):
            methods = set(child.methods or ())
            template = Route(prefix + child.path, endpoint=_never, methods=list(methods))
            template.methods = methods  # as FastAPI's: no HEAD added for a GET
            flat.append(template)
        else:
            return None
    return flat


class RouteTemplatesByPrefix(PrometheusInstrumentatorMiddleware):
    """The library's middleware, finding a request's route template (its ``handler`` label)
    with the library's own matcher, but only among the routers the path can reach.

    The library flattens every included router of the app again for each request and asks
    each of its ~950 routes (FastAPI >= 0.116 keeps included routers as wrappers): 2.6 of
    the 16 s of CPU a ``bench/payments_api.py --profile`` run measured (2026-12-06).
    Here the app's routers are grouped once by the literal prefixes that guard them
    (:class:`kro.kit.routing.PrefixGuard`, the same test routing itself applies), a router
    is flattened the first time a path reaches it, into bare templates
    (:func:`_template_routes`; flattening all of them as the library does at the first
    request took ~1 s of CPU, most of the set-up of a test's server), and a request is matched
    against the routers its path starts with, in the app's order: the same template, the
    first full match winning."""

    def __init__(self, app: ASGIApp, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._groups: list[RouteGroup] | None = None
        self._flat: dict[int, list[BaseRoute]] = {}

    def _route_groups(self, routes: list[BaseRoute]) -> list[RouteGroup]:
        if self._groups is None:  # the app's routes are all in place by its first request
            groups: list[RouteGroup] = []
            for route in routes:
                router = getattr(route, "original_router", None)
                prefixes = router.prefixes if isinstance(router, PrefixGuard) else EVERYTHING
                groups.append((prefixes, route))
            self._groups = groups
        return self._groups

    def _flattened(self, route: BaseRoute) -> list[BaseRoute]:
        flat = self._flat.get(id(route))
        if flat is None:
            flat = _template_routes(route)
            if flat is None:
                flat = instrumentator_routing._effective_routes([route])
            self._flat[id(route)] = flat
        return flat

    def _name(self, scope: Scope, path: str) -> str | None:
        groups = self._route_groups(getattr(scope.get("app"), "routes", None) or [])
        reachable = [
            r
            for prefixes, route in groups
            if path.startswith(prefixes)
            for r in self._flattened(route)
        ]
        return instrumentator_routing._get_route_name(scope, reachable)

    def _get_handler(self, request: Request) -> tuple[str, bool]:
        scope = request.scope
        path = get_route_path(scope)
        name = self._name(scope, path)
        if name is None and path != "/":
            # As the library does: a path that would only be redirected to its other form
            # (trailing slash added or removed) is reported as requested.
            toggled = path[:-1] if path.endswith("/") else path + "/"
            if self._name({**scope, "path": toggled}, toggled) is not None:
                return request.url.path, True
        return (name, True) if name is not None else (request.url.path, False)
