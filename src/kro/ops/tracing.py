"""Optional OpenTelemetry traces (seed 001 exports them): with ``KRO_OTEL_ENDPOINT`` set,
every request (FastAPI), database query (SQLAlchemy) and outgoing HTTP call (httpx: the
providers, outgoing webhooks) becomes a span, exported in batches over OTLP/HTTP to
``{endpoint}/v1/traces``. Without it nothing is installed and nothing costs.

The probes and the scrape (``/healthz``, ``/readyz``, ``/metrics``) are not traced. The
request id is set as the ``kro.request_id`` attribute of each request's span (by the
request-id middleware, :mod:`kro.kit.api`), to find a trace from a log line.
"""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine

from kro import __version__
from kro.kit import http
from kro.settings import Settings

EXCLUDED = "healthz,readyz,metrics"


def provider_for(settings: Settings) -> TracerProvider | None:
    """A tracer provider exporting to ``settings.otel_endpoint``, or ``None`` (off)."""
    if not settings.otel_endpoint:
        return None
    resource = Resource.create(
        {SERVICE_NAME: settings.otel_service_name, "service.version": __version__}
    )
    provider = TracerProvider(resource=resource)
    endpoint = settings.otel_endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider


def instrument_app(app: FastAPI, settings: Settings) -> TracerProvider | None:
    """Trace ``app``'s requests and this process's httpx calls (kept as
    ``app.state.tracer_provider``); ``None`` when tracing is off."""
    provider = provider_for(settings)
    app.state.tracer_provider = provider
    if provider is None:
        return None
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=EXCLUDED,
    )
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    # The shared client's transport is not httpx's own, which the line above patches.
    http.client_hooks["tracing"] = lambda client: HTTPXClientInstrumentor.instrument_client(
        client, tracer_provider=provider
    )
    return provider


def instrument_engine(engine: AsyncEngine, provider: TracerProvider | None) -> None:
    """Trace the queries of ``engine`` (called when the app opens it). The instrumentation's
    engine tracer is attached to this engine only: its instrumentor would patch
    ``create_engine`` process-wide and refuses SQLAlchemy 2.1 by its version pin."""
    if provider is None:
        return
    connections = NoOpMeterProvider().get_meter(__name__).create_up_down_counter("unused")
    tracer = provider.get_tracer("kro.db", __version__)
    EngineTracer(tracer, engine.sync_engine, connections)  # type: ignore[no-untyped-call]


def shutdown(provider: TracerProvider | None) -> None:
    """Export what is left and stop (the app's shutdown)."""
    if provider is not None:
        provider.shutdown()
