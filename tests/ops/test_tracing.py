"""OpenTelemetry, when configured: a request, its queries and its outgoing calls reach an
OTLP/HTTP collector (a stand-in that records what it receives) as spans; unconfigured,
nothing is installed."""

from __future__ import annotations

import threading

import httpx
from asgi_lifespan import LifespanManager
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kro.app import create_app
from kro.settings import Settings
from tests.support.server import serve_in_thread


class Collector:
    """Receives ``POST /v1/traces`` (OTLP/HTTP, protobuf) and keeps the span names."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

        async def traces(request: Request) -> Response:
            export = ExportTraceServiceRequest()
            export.ParseFromString(await request.body())
            with self.lock:
                for resource in export.resource_spans:
                    for scope in resource.scope_spans:
                        for span in scope.spans:
                            attributes = {a.key: a.value.string_value for a in span.attributes}
                            self.spans.append((span.name, attributes))
            return Response(b"", media_type="application/x-protobuf")

        self.app = Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])


async def test_requests_and_queries_are_traced_when_a_collector_is_set(
    settings: Settings,
) -> None:
    collector = Collector()
    with serve_in_thread(lambda _: collector.app) as endpoint:
        traced = settings.model_copy(update={"otel_endpoint": endpoint})
        app = create_app(traced)
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://kro.test") as c:
                r = await c.post(
                    "/v1/auth/register",
                    json={"email": "ada@example.com", "password": "long enough", "full_name": "A"},
                    headers={"X-Request-ID": "req_trace_me"},
                )
                assert r.status_code == 201
                await c.get("/healthz")
            app.state.tracer_provider.force_flush()
    names = [name for name, _ in collector.spans]
    assert "POST /v1/auth/register" in names, names
    assert any(name.startswith(("INSERT", "SELECT")) for name in names), names
    assert not any("healthz" in name for name in names)
    request = next(a for n, a in collector.spans if n == "POST /v1/auth/register")
    assert request.get("kro.request_id") == "req_trace_me"


def test_no_endpoint_no_tracing(settings: Settings) -> None:
    app = create_app(settings)
    assert app.state.tracer_provider is None
