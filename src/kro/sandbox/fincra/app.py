"""The simulator as an ASGI app: :class:`FincraSandbox` (mountable) and :func:`create_app`.

Mounted inside ``kro serve`` (``app.mount("/sandbox/fincra", sandbox.app)``), a sub-app's
lifespan never runs, so the host enters :meth:`FincraSandbox.running` itself. Standalone,
:func:`create_app` wires ``running()`` into the lifespan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from kro.sandbox.common.lifecycle import standalone_app
from kro.sandbox.common.service import SandboxService
from kro.sandbox.fincra.api import build_api_router
from kro.sandbox.fincra.config import FincraSandboxConfig
from kro.sandbox.fincra.control import build_control_router
from kro.sandbox.fincra.errors import FincraApiError
from kro.sandbox.fincra.page import build_page_router
from kro.sandbox.fincra.webhooks import WebhookSender


class FincraSandbox(SandboxService[FincraSandboxConfig]):
    """A Fincra look-alike: ``.app`` serves the checkout API, the hosted page and
    ``/_sandbox`` control.

    ``running()`` must be entered before requests are served: it opens the database (creating
    the ``fincra_*`` tables) and runs the loop that delivers webhooks. Requests outside it get
    a Fincra-shaped 503.
    """

    provider = "fincra"
    title = "Fincra sandbox"
    description = "A local simulator of Fincra's checkout API and webhooks."
    sender_type = WebhookSender
    error_type = FincraApiError
    fault_exempt = ("/_sandbox", "/pay/")

    async def tick(self) -> dict[str, int]:
        """One pass of due work: send the webhooks that are due."""
        return {"webhooks_sent": await self.deliver_due()}

    def routers(self) -> Sequence[APIRouter]:
        return build_api_router(self), build_page_router(self), build_control_router(self)

    def not_running(self) -> Exception:
        return FincraApiError("Sandbox is not running", http_status=503, error="Unavailable")

    def http_error(self, detail: str, status: int) -> dict[str, Any]:
        return FincraApiError(detail, http_status=status).body()

    def invalid(self, message: str) -> dict[str, Any]:
        return FincraApiError(message, error="Error occurred during payload validation").body()

    def internal(self) -> dict[str, Any]:
        return FincraApiError("Internal server error", error="Internal Server Error").body()

    def fault_error(self, status: int) -> dict[str, Any]:
        return FincraApiError(
            "Service unavailable", http_status=status, error="Service Unavailable"
        ).body()


def create_app(config: FincraSandboxConfig) -> FastAPI:
    """A standalone server whose lifespan runs the sandbox."""
    return standalone_app("Fincra sandbox", FincraSandbox(config))
