"""The simulator as an ASGI app: :class:`StripeSandbox` (mountable) and :func:`create_app`.

Mounted inside ``kro serve`` (``app.mount("/sandbox/stripe", sandbox.app)``), a sub-app's
lifespan never runs, so the host enters :meth:`StripeSandbox.running` itself. Standalone,
:func:`create_app` wires ``running()`` into the lifespan.
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
from kro.sandbox.stripe import refunds
from kro.sandbox.stripe.api import build_api_router
from kro.sandbox.stripe.config import StripeSandboxConfig
from kro.sandbox.stripe.control import build_control_router
from kro.sandbox.stripe.errors import StripeApiError
from kro.sandbox.stripe.intents import Intents
from kro.sandbox.stripe.page import build_page_router
from kro.sandbox.stripe.webhooks import WebhookSender

log = structlog.get_logger("kro.sandbox.stripe")


class StripeSandbox:
    """A Stripe look-alike (test mode): ``.app`` serves the ``/v1`` API, the hosted page
    ``/pay/{pi_id}`` and ``/_sandbox`` control; ``.faults`` is its fault switch.

    ``running()`` must be entered before requests are served: it opens the database (creating
    the ``stripe_*`` tables) and runs the loop that expires authorizations, settles refunds and
    delivers webhooks. Requests outside it get Stripe's 503 ``api_error``.
    """

    def __init__(self, config: StripeSandboxConfig) -> None:
        self.config = config
        self.intents = Intents(config)
        self.faults = Faults()
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._sender: WebhookSender | None = None
        self.app = self._build_app()

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Session factory of the sandbox database (only while running)."""
        if self._sessions is None:
            raise StripeApiError("Sandbox is not running", type="api_error", http_status=503)
        return self._sessions

    @asynccontextmanager
    async def running(self) -> AsyncIterator[StripeSandbox]:
        """Open the database, start the background loop; stop and close both on exit."""
        if self._sessions is not None:
            raise RuntimeError("StripeSandbox.running() entered twice")
        async with (
            open_database(self.config.database_url, "stripe_") as sessions,
            make_client(timeout=self.config.webhook_timeout) as http,
        ):
            self._sessions = sessions
            self._sender = WebhookSender(self.config, sessions, http)
            try:
                async with background_loop(
                    self.tick,
                    provider="stripe",
                    startup_delay=self.config.startup_delay,
                    poll_interval=self.config.poll_interval,
                ):
                    log.info("stripe_sandbox_started", webhook_url=self.config.webhook_url or None)
                    yield self
            finally:
                self._sessions = self._sender = None

    async def tick(self) -> dict[str, int]:
        """One pass of due work: expire overdue authorizations, settle due refunds, then send
        the webhooks that are due (those just made included)."""
        async with unit_of_work(self.sessions) as session:
            expired = await self.intents.expire_due(session)
            settled = await refunds.settle_due(session)
        sent = await self._sender.deliver_due() if self._sender else 0
        return {
            "authorizations_expired": expired,
            "refunds_settled": settled,
            "webhooks_sent": sent,
        }

    def _build_app(self) -> FastAPI:
        app = FastAPI(
            title="Stripe sandbox",
            description="A local simulator of Stripe's PaymentIntents, refunds and webhooks.",
            version="1",
        )
        app.include_router(build_api_router(self))
        app.include_router(build_page_router(self))
        app.include_router(build_control_router(self))
        install_error_handlers(
            app,
            provider="stripe",
            error_type=StripeApiError,
            http_error=lambda detail, status: StripeApiError(
                "Unrecognized request URL. Please see https://stripe.com/docs or we can help at "
                "https://support.stripe.com/."
                if status == 404
                else detail,
                http_status=status,
            ).body(),
            invalid=lambda message: StripeApiError(message).body(),
            internal=lambda: StripeApiError(
                "An unknown error occurred", type="api_error", http_status=500
            ).body(),
        )
        install_faults(
            app,
            self.faults,
            error_body=lambda status: {
                "error": {"type": "api_error", "message": "Service unavailable"}
            },
            exempt=("/_sandbox", "/pay"),
        )
        return app


def create_app(config: StripeSandboxConfig) -> FastAPI:
    """A standalone server whose lifespan runs the sandbox."""
    return standalone_app("Stripe sandbox", StripeSandbox(config))
