"""The simulator as an ASGI app: :class:`ProvidusSandbox` (mountable) and :func:`create_app`.

Mounted inside ``kro serve`` (``app.mount("/sandbox/providus", sandbox.app)``), a sub-app's
lifespan never runs, so the host enters :meth:`ProvidusSandbox.running` itself. Standalone,
:func:`create_app` wires ``running()`` into the lifespan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from kro.sandbox.common.lifecycle import standalone_app
from kro.sandbox.common.service import SandboxService
from kro.sandbox.providus.api import build_api_router
from kro.sandbox.providus.config import ProvidusSandboxConfig
from kro.sandbox.providus.control import build_control_router
from kro.sandbox.providus.errors import ProvidusApiError
from kro.sandbox.providus.notifications import NotificationSender


class ProvidusSandbox(SandboxService[ProvidusSandboxConfig]):
    """A Providus look-alike: ``.app`` serves the PiP API and ``/_sandbox`` control.

    ``running()`` must be entered before requests are served: it opens the database (creating
    the ``providus_*`` tables) and runs the background loop that delivers notifications.
    Requests outside it get a Providus-shaped 503.
    """

    provider = "providus"
    title = "Providus sandbox"
    description = "A local simulator of Providus Bank's PiP / DCS virtual accounts."
    sender_type = NotificationSender
    error_type = ProvidusApiError

    @property
    def delivery_timeout(self) -> float:
        return self.config.notification_timeout

    def started_fields(self) -> dict[str, Any]:
        return {"notification_url": self.config.notification_url or None}

    async def tick(self) -> dict[str, int]:
        """One pass of due work: send the notifications that are due."""
        return {"notifications_sent": await self.deliver_due()}

    def routers(self) -> Sequence[APIRouter]:
        return build_api_router(self), build_control_router(self)

    def not_running(self) -> Exception:
        return ProvidusApiError("Sandbox is not running", http_status=503)

    def http_error(self, detail: str, status: int) -> dict[str, Any]:
        return ProvidusApiError(detail).body()

    def invalid(self, message: str) -> dict[str, Any]:
        return ProvidusApiError(message).body()

    def internal(self) -> dict[str, Any]:
        return ProvidusApiError("Error Completing Operation").body()

    def fault_error(self, status: int) -> dict[str, Any]:
        return ProvidusApiError("Service unavailable", http_status=status).body()


def create_app(config: ProvidusSandboxConfig) -> FastAPI:
    """A standalone server whose lifespan runs the sandbox."""
    return standalone_app("Providus sandbox", ProvidusSandbox(config))
