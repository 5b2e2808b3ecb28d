"""The simulator as an ASGI app: :class:`FincraSandbox` (mountable) and :func:`create_app`.

Mounted inside ``kro serve`` (``app.mount("/sandbox/fincra", sandbox.app)``), a sub-app's
lifespan never runs, so the host enters :meth:`FincraSandbox.running` itself. Standalone,
:func:`create_app` wires ``running()`` into the lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.http import make_client
from kro.sandbox.common.errors import install_error_handlers
from kro.sandbox.common.faults import Faults, install_faults
from kro.sandbox.common.lifecycle import background_loop, open_database, standalone_app
from kro.sandbox.fincra.api import build_api_router
from kro.sandbox.fincra.config import FincraSandboxConfig
from kro.sandbox.fincra.control import build_control_router
from kro.sandbox.fincra.errors import FincraApiError
from kro.sandbox.fincra.page import build_page_router
from kro.sandbox.fincra.webhooks import WebhookSender

log = structlog.get_logger("kro.sandbox.fincra")


class FincraSandbox:
    """A Fincra look-alike: ``.app`` serves the checkout API, the hosted page and
    ``/_sandbox`` control.

    ``running()`` must be entered before requests are served: it opens the database (creating
    the ``fincra_*`` tables) and runs the loop that delivers webhooks. Requests outside it get
    a Fincra-shaped 503.
    """

    def __init__(self, config: FincraSandboxConfig) -> None:
        self.config = config
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._sender: WebhookSender | None = None
        self.faults = Faults()
        self.app = self._build_app()

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Session factory of the sandbox database (only while running)."""
        if self._sessions is None:
            raise FincraApiError("Sandbox is not running", http_status=503, error="Unavailable")
        return self._sessions

    @asynccontextmanager
    async def running(self) -> AsyncIterator[FincraSandbox]:
        """Open the database, start the webhook loop; stop and close both on exit."""
        if self._sessions is not None:
            raise RuntimeError("FincraSandbox.running() entered twice")
        async with (
            open_database(self.config.database_url, "fincra_") as sessions,
            make_client(timeout=self.config.webhook_timeout) as http,
        ):
            self._sessions = sessions
            self._sender = WebhookSender(self.config, sessions, http)
            try:
                async with background_loop(
                    self.tick,
                    provider="fincra",
                    startup_delay=self.config.startup_delay,
                    poll_interval=self.config.poll_interval,
                ):
                    log.info("fincra_sandbox_started", webhook_url=self.config.webhook_url or None)
                    yield self
            finally:
                self._sessions = self._sender = None

    async def tick(self) -> dict[str, int]:
        """One pass of due work: send the webhooks that are due."""
        sent = await self._sender.deliver_due() if self._sender else 0
        return {"webhooks_sent": sent}

    def _build_app(self) -> FastAPI:
        app = FastAPI(
            title="Fincra sandbox",
            description="A local simulator of Fincra's checkout API and webhooks.",
            version="1",
        )
        app.include_router(build_api_router(self))
        app.include_router(build_page_router(self))
        app.include_router(build_control_router(self))
        install_error_handlers(
            app,
            provider="fincra",
            error_type=FincraApiError,
            http_error=lambda detail, status: FincraApiError(detail, http_status=status).body(),
            invalid=lambda message: FincraApiError(
                message, error="Error occurred during payload validation"
            ).body(),
            internal=lambda: FincraApiError(
                "Internal server error", error="Internal Server Error"
            ).body(),
        )
        install_faults(
            app,
            self.faults,
            error_body=lambda status: FincraApiError(
                "Service unavailable", http_status=status, error="Service Unavailable"
            ).body(),
            exempt=("/_sandbox", "/pay/"),
        )
        return app


def create_app(config: FincraSandboxConfig) -> FastAPI:
    """A standalone server whose lifespan runs the sandbox."""
    return standalone_app("Fincra sandbox", FincraSandbox(config))
