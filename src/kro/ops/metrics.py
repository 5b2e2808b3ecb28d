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

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Gauge
from prometheus_fastapi_instrumentator import Instrumentator
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs import service as jobs
from kro.kit.clock import utcnow
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
    app.state.http_metrics = registry
    return registry
