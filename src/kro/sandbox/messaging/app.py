"""The messaging simulators as one ASGI app: :class:`MessagingSandbox` and :func:`create_app`.

Mounted inside ``kro serve`` (``app.mount("/sandbox/messaging", sandbox.app)``) a sub-app's
lifespan never runs, so the host enters :meth:`MessagingSandbox.running` itself. Standalone,
:func:`create_app` wires ``running()`` into the lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.db import unit_of_work
from kro.sandbox.common.lifecycle import open_database, standalone_app
from kro.sandbox.messaging import store
from kro.sandbox.messaging.config import MessagingSandboxConfig
from kro.sandbox.messaging.faults import ErrorResponse, build_faults_router, install_faults
from kro.sandbox.messaging.inbox import build_inbox_router
from kro.sandbox.messaging.models import CapturedMessage

log = structlog.get_logger("kro.sandbox.messaging")


class SandboxNotRunning(RuntimeError):
    """A request arrived outside :meth:`MessagingSandbox.running`."""


class MessagingSandbox:
    """SendGrid, Termii, Twilio and Telnyx look-alikes plus one inbox, behind one ``.app``.

    Paths (relative to the mount): ``/sendgrid/v3/mail/send``, ``/termii/api/sms/send``,
    ``/twilio/2010-04-01/Accounts/{sid}/Messages.json``, ``/telnyx/v2/messages``; each
    provider's fault switch at ``/<provider>/_sandbox/faults``; the inbox at ``/inbox``
    (HTML) and ``/inbox/messages`` (JSON). ``running()`` must be entered before requests are
    served: it opens the database and creates the ``messaging_*`` tables.
    """

    def __init__(self, config: MessagingSandboxConfig | None = None) -> None:
        self.config = config or MessagingSandboxConfig()
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self.app = self._build_app()

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Session factory of the sandbox database (only while running)."""
        if self._sessions is None:
            raise SandboxNotRunning("the messaging sandbox is not running")
        return self._sessions

    @asynccontextmanager
    async def running(self) -> AsyncIterator[MessagingSandbox]:
        """Open the database (creating ``messaging_*`` tables); close it on exit."""
        if self._sessions is not None:
            raise RuntimeError("MessagingSandbox.running() entered twice")
        async with open_database(self.config.database_url, "messaging_") as sessions:
            self._sessions = sessions
            log.info("messaging_sandbox_started")
            try:
                yield self
            finally:
                self._sessions = None

    async def capture(self, **fields: Any) -> CapturedMessage:
        """Store an accepted message in its own transaction (see :func:`store.capture`)."""
        async with unit_of_work(self.sessions) as session:
            return await store.capture(session, **fields)

    def provider_app(self, provider: str, title: str, error_response: ErrorResponse) -> FastAPI:
        """A sub-app for one simulator with its fault switch and provider-shaped 500s/503s."""
        app = FastAPI(title=f"{title} sandbox", version="1", docs_url=None, redoc_url=None)
        app.include_router(build_faults_router(self, provider))
        install_faults(app, self, provider, error_response)

        @app.middleware("http")
        async def unexpected(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            # Outermost: a bug (or a request before running()) answers the provider's 500/503
            # here and goes no further; mounted in a host app it must not reach the host.
            try:
                return await call_next(request)
            except SandboxNotRunning:
                return error_response(503, "Service Unavailable")
            except Exception as exc:
                log.exception(
                    "messaging_sandbox_error", provider=provider, error=type(exc).__name__
                )
                return error_response(500, "Internal Server Error")

        return app

    def _build_app(self) -> FastAPI:
        # Imported here: each provider module builds its app from this class's helpers.
        from kro.sandbox.sendgrid import build_app as sendgrid_app
        from kro.sandbox.telnyx import build_app as telnyx_app
        from kro.sandbox.termii import build_app as termii_app
        from kro.sandbox.twilio import build_app as twilio_app

        app = FastAPI(
            title="Messaging sandbox",
            description="Local simulators of SendGrid, Termii, Twilio and Telnyx, and an inbox.",
            version="1",
        )
        app.include_router(build_inbox_router(self))

        @app.get("/", include_in_schema=False)
        async def root(request: Request) -> RedirectResponse:
            return RedirectResponse(str(request.url).rstrip("/") + "/inbox")

        @app.exception_handler(SandboxNotRunning)
        async def not_running(_: Request, __: Exception) -> JSONResponse:
            return JSONResponse({"message": "The sandbox is not running"}, status_code=503)

        app.mount("/sendgrid", sendgrid_app(self))
        app.mount("/termii", termii_app(self))
        app.mount("/twilio", twilio_app(self))
        app.mount("/telnyx", telnyx_app(self))
        return app


def create_app(config: MessagingSandboxConfig | None = None) -> FastAPI:
    """A standalone server whose lifespan runs the sandbox (``uvicorn`` on its own port)."""
    return standalone_app("Messaging sandbox", MessagingSandbox(config))
