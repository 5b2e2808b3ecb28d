"""The simulator as an ASGI app: :class:`FlutterwaveSandbox` (mountable) and :func:`create_app`.

Mounted inside ``kro serve`` (``app.mount("/sandbox/flutterwave", sandbox.app)``), a sub-app's
lifespan never runs, so the host enters :meth:`FlutterwaveSandbox.running` itself.
Standalone, :func:`create_app` wires ``running()`` into the lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.db import unit_of_work
from kro.kit.http import make_client
from kro.sandbox.common.errors import install_error_handlers
from kro.sandbox.common.faults import Faults, install_faults
from kro.sandbox.common.lifecycle import background_loop, open_database, standalone_app
from kro.sandbox.flutterwave import refunds
from kro.sandbox.flutterwave.api import build_api_router
from kro.sandbox.flutterwave.config import FlutterwaveSandboxConfig
from kro.sandbox.flutterwave.control import build_control_router
from kro.sandbox.flutterwave.errors import FlutterwaveApiError
from kro.sandbox.flutterwave.page import build_page_router
from kro.sandbox.flutterwave.webhooks import WebhookSender

log = structlog.get_logger("kro.sandbox.flutterwave")


class FlutterwaveSandbox:
    """A Flutterwave v3 look-alike: ``.app`` serves the API (``/v3/…``), the hosted checkout
    (``/hosted/pay/…``) and ``/_sandbox`` control; ``.faults`` is its fault switch.

    ``running()`` must be entered before requests are served: it opens the database (creating
    the ``flutterwave_*`` tables) and runs the loop that delivers webhooks and completes
    refunds. Requests outside it get a Flutterwave-shaped 503.
    """

    def __init__(self, config: FlutterwaveSandboxConfig) -> None:
        self.config = config
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._sender: WebhookSender | None = None
        self.faults = Faults()
        self.app = self._build_app()

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Session factory of the sandbox database (only while running)."""
        if self._sessions is None:
            raise FlutterwaveApiError("Sandbox is not running", http_status=503)
        return self._sessions

    @asynccontextmanager
    async def running(self) -> AsyncIterator[FlutterwaveSandbox]:
        """Open the database, start the background loop; stop and close both on exit."""
        if self._sessions is not None:
            raise RuntimeError("FlutterwaveSandbox.running() entered twice")
        async with (
            open_database(self.config.database_url, "flutterwave_") as sessions,
            make_client(timeout=self.config.webhook_timeout) as http,
        ):
            self._sessions = sessions
            self._sender = WebhookSender(self.config, sessions, http)
            try:
                async with background_loop(
                    self.tick,
                    provider="flutterwave",
                    startup_delay=self.config.startup_delay,
                    poll_interval=self.config.poll_interval,
                ):
                    log.info(
                        "flutterwave_sandbox_started", webhook_url=self.config.webhook_url or None
                    )
                    yield self
            finally:
                self._sessions = self._sender = None

    async def tick(self) -> dict[str, int]:
        """One pass of due work: complete due refunds, send due webhooks."""
        if self._sessions is None or self._sender is None:
            return {"refunds_completed": 0, "webhooks_sent": 0}
        async with unit_of_work(self._sessions) as session:
            completed = await refunds.complete_due(session)
        sent = await self._sender.deliver_due()
        return {"refunds_completed": completed, "webhooks_sent": sent}

    def _build_app(self) -> FastAPI:
        app = FastAPI(
            title="Flutterwave sandbox",
            description="A local simulator of Flutterwave's v3 API, checkout and webhooks.",
            version="3",
        )
        app.include_router(build_api_router(self))
        app.include_router(build_page_router(self))
        app.include_router(build_control_router(self))
        install_error_handlers(
            app,
            provider="flutterwave",
            error_type=FlutterwaveApiError,
            http_error=lambda detail, status: FlutterwaveApiError(
                detail, http_status=status
            ).body(),
            invalid=lambda message: FlutterwaveApiError(message).body(),
            internal=lambda: FlutterwaveApiError("Internal server error", http_status=500).body(),
        )
        install_faults(
            app,
            self.faults,
            error_body=lambda status: {
                "status": "error",
                "message": "Service unavailable",
                "data": None,
            },
            exempt=("/_sandbox", "/hosted"),
        )
        return app


def create_app(config: FlutterwaveSandboxConfig) -> FastAPI:
    """A standalone server whose lifespan runs the sandbox."""
    return standalone_app("Flutterwave sandbox", FlutterwaveSandbox(config))
