"""The simulator as an ASGI app: :class:`FlutterwaveSandbox` (mountable) and :func:`create_app`.

Mounted inside ``kro serve`` (``app.mount("/sandbox/flutterwave", sandbox.app)``), a sub-app's
lifespan never runs, so the host enters :meth:`FlutterwaveSandbox.running` itself.
Standalone, :func:`create_app` wires ``running()`` into the lifespan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from kro.kit.db import unit_of_work
from kro.sandbox.common.lifecycle import standalone_app
from kro.sandbox.common.service import SandboxService
from kro.sandbox.flutterwave import refunds
from kro.sandbox.flutterwave.api import build_api_router
from kro.sandbox.flutterwave.config import FlutterwaveSandboxConfig
from kro.sandbox.flutterwave.control import build_control_router
from kro.sandbox.flutterwave.errors import FlutterwaveApiError
from kro.sandbox.flutterwave.page import build_page_router
from kro.sandbox.flutterwave.webhooks import WebhookSender


class FlutterwaveSandbox(SandboxService[FlutterwaveSandboxConfig]):
    """A Flutterwave v3 look-alike: ``.app`` serves the API (``/v3/…``), the hosted checkout
    (``/hosted/pay/…``) and ``/_sandbox`` control; ``.faults`` is its fault switch.

    ``running()`` must be entered before requests are served: it opens the database (creating
    the ``flutterwave_*`` tables) and runs the loop that delivers webhooks and completes
    refunds. Requests outside it get a Flutterwave-shaped 503.
    """

    provider = "flutterwave"
    title = "Flutterwave sandbox"
    description = "A local simulator of Flutterwave's v3 API, checkout and webhooks."
    version = "3"
    sender_type = WebhookSender
    error_type = FlutterwaveApiError
    fault_exempt = ("/_sandbox", "/hosted")

    async def tick(self) -> dict[str, int]:
        """One pass of due work: complete due refunds, send due webhooks."""
        if not self.is_running:
            return {"refunds_completed": 0, "webhooks_sent": 0}
        async with unit_of_work(self.sessions) as session:
            completed = await refunds.complete_due(session)
        sent = await self.deliver_due()
        return {"refunds_completed": completed, "webhooks_sent": sent}

    def routers(self) -> Sequence[APIRouter]:
        return build_api_router(self), build_page_router(self), build_control_router(self)

    def not_running(self) -> Exception:
        return FlutterwaveApiError("Sandbox is not running", http_status=503)

    def http_error(self, detail: str, status: int) -> dict[str, Any]:
        return FlutterwaveApiError(detail, http_status=status).body()

    def invalid(self, message: str) -> dict[str, Any]:
        return FlutterwaveApiError(message).body()

    def internal(self) -> dict[str, Any]:
        return FlutterwaveApiError("Internal server error", http_status=500).body()

    def fault_error(self, status: int) -> dict[str, Any]:
        return {"status": "error", "message": "Service unavailable", "data": None}


def create_app(config: FlutterwaveSandboxConfig) -> FastAPI:
    """A standalone server whose lifespan runs the sandbox."""
    return standalone_app("Flutterwave sandbox", FlutterwaveSandbox(config))
