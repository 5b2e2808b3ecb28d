"""``/healthz`` (liveness), ``/readyz`` (readiness) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kro.ops import health, metrics
from kro.settings import Settings

router = APIRouter(tags=["operations"], include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """200 while the process serves (it checks nothing else, on purpose)."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 ``{"status": "ready", "checks": {…}}`` when the database (schema at head) and Redis
    (if configured) answer; 503 ``{"status": "not_ready", "checks": {…}}`` otherwise."""
    settings: Settings = request.app.state.settings
    result = await health.readiness(request.app.state.sessions, settings)
    body = {"status": "ready" if result.ready else "not_ready", "checks": result.checks}
    return JSONResponse(body, status_code=200 if result.ready else 503)


@router.get("/metrics")
async def prometheus(request: Request) -> Response:
    """The process's HTTP and job metrics and the platform's business gauges."""
    await metrics.refresh(request.app.state.sessions, request.app.state.settings)
    body = generate_latest() + generate_latest(request.app.state.http_metrics)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
