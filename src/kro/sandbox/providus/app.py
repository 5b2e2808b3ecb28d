"""The simulator as an ASGI app: :class:`ProvidusSandbox` (mountable) and :func:`create_app`.

Mounted inside ``kro serve`` (``app.mount("/sandbox/providus", sandbox.app)``), a sub-app's
lifespan never runs, so the host enters :meth:`ProvidusSandbox.running` itself. Standalone,
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
from kro.sandbox.providus.api import build_api_router
from kro.sandbox.providus.config import ProvidusSandboxConfig
from kro.sandbox.providus.control import build_control_router
from kro.sandbox.providus.errors import ProvidusApiError
from kro.sandbox.providus.notifications import NotificationSender

log = structlog.get_logger("kro.sandbox.providus")


class ProvidusSandbox:
    """A Providus look-alike: ``.app`` serves the PiP API and ``/_sandbox`` control.

    ``running()`` must be entered before requests are served: it opens the database (creating
    the ``providus_*`` tables) and runs the background loop that delivers notifications.
    Requests outside it get a Providus-shaped 503.
    """

    def __init__(self, config: ProvidusSandboxConfig) -> None:
        self.config = config
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._sender: NotificationSender | None = None
        self.faults = Faults()
        self.app = self._build_app()

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Session factory of the sandbox database (only while running)."""
        if self._sessions is None:
            raise ProvidusApiError("Sandbox is not running", http_status=503)
        return self._sessions

    @asynccontextmanager
    async def running(self) -> AsyncIterator[ProvidusSandbox]:
        """Open the database, start the background loop; stop and close both on exit."""
        if self._sessions is not None:
            raise RuntimeError("ProvidusSandbox.running() entered twice")
        async with (
            open_database(self.config.database_url, "providus_") as sessions,
            make_client(timeout=self.config.notification_timeout) as http,
        ):
            self._sessions = sessions
            self._sender = NotificationSender(self.config, sessions, http)
            try:
                async with background_loop(
                    self.tick,
                    provider="providus",
                    startup_delay=self.config.startup_delay,
                    poll_interval=self.config.poll_interval,
                ):
                    log.info(
                        "providus_sandbox_started",
                        notification_url=self.config.notification_url or None,
                    )
                    yield self
            finally:
                self._sessions = self._sender = None

    async def tick(self) -> dict[str, int]:
        """One pass of due work: send the notifications that are due."""
        sent = await self._sender.deliver_due() if self._sender else 0
        return {"notifications_sent": sent}

    def _build_app(self) -> FastAPI:
        app = FastAPI(
            title="Providus sandbox",
            description="A local simulator of Providus Bank's PiP / DCS virtual accounts.",
            version="1",
        )
        app.include_router(build_api_router(self))
        app.include_router(build_control_router(self))
        install_error_handlers(
            app,
            provider="providus",
            error_type=ProvidusApiError,
            http_error=lambda detail, _: ProvidusApiError(detail).body(),
            invalid=lambda message: ProvidusApiError(message).body(),
            internal=lambda: ProvidusApiError("Error Completing Operation").body(),
        )
        install_faults(
            app,
            self.faults,
            error_body=lambda status: ProvidusApiError(
                "Service unavailable", http_status=status
            ).body(),
            exempt=("/_sandbox",),
        )
        return app


def create_app(config: ProvidusSandboxConfig) -> FastAPI:
    """A standalone server whose lifespan runs the sandbox."""
    return standalone_app("Providus sandbox", ProvidusSandbox(config))
