"""The simulator as an ASGI app: :class:`PaystackSandbox` (mountable) and :func:`create_app`.

Mounted inside ``kro serve`` (``app.mount("/sandbox/paystack", sandbox.app)``), a sub-app's
lifespan never runs, so the host enters :meth:`PaystackSandbox.running` itself. Standalone
(``kro sandbox paystack --port N``), :func:`create_app` wires ``running()`` into the lifespan.
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
from kro.sandbox.paystack import charges, transfers
from kro.sandbox.paystack.api import build_api_router
from kro.sandbox.paystack.checkout import build_checkout_router
from kro.sandbox.paystack.config import PaystackSandboxConfig
from kro.sandbox.paystack.control import build_control_router
from kro.sandbox.paystack.errors import PaystackApiError
from kro.sandbox.paystack.subscriptions import build_subscriptions_router
from kro.sandbox.paystack.util import integration_id
from kro.sandbox.paystack.webhooks import WebhookSender

log = structlog.get_logger("kro.sandbox.paystack")


class PaystackSandbox:
    """A Paystack look-alike: ``.app`` serves the API, the checkout and ``/_sandbox`` control.

    ``running()`` must be entered before requests are served: it opens the database (creating
    the ``paystack_*`` tables) and runs the background loop that settles transfers, processes
    refunds and delivers webhooks. Requests outside it get a Paystack-shaped 503.
    """

    def __init__(self, config: PaystackSandboxConfig) -> None:
        self.config = config
        self.integrations: dict[str, int] = {k: integration_id(k) for k in config.secret_keys}
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._sender: WebhookSender | None = None
        self.faults = Faults()
        self.app = self._build_app()

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Session factory of the sandbox database (only while running)."""
        if self._sessions is None:
            raise PaystackApiError("Sandbox is not running", http_status=503, code=None)
        return self._sessions

    @asynccontextmanager
    async def running(self) -> AsyncIterator[PaystackSandbox]:
        """Open the database, start the background loop; stop and close both on exit."""
        if self._sessions is not None:
            raise RuntimeError("PaystackSandbox.running() entered twice")
        async with (
            open_database(self.config.database_url, "paystack_") as sessions,
            make_client(timeout=self.config.webhook_timeout) as http,
        ):
            self._sessions = sessions
            self._sender = WebhookSender(self.config, sessions, http)
            try:
                async with background_loop(
                    self.tick,
                    provider="paystack",
                    startup_delay=self.config.startup_delay,
                    poll_interval=self.config.poll_interval,
                ):
                    log.info(
                        "paystack_sandbox_started", webhook_url=self.config.webhook_url or None
                    )
                    yield self
            finally:
                self._sessions = self._sender = None

    async def tick(self) -> dict[str, int]:
        """One pass of due work: settle transfers, process refunds, send webhooks."""
        async with unit_of_work(self.sessions) as session:
            settled = await transfers.settle_due(session, self.config)
        async with unit_of_work(self.sessions) as session:
            refunds = await charges.process_due_refunds(session, self.config)
        sent = await self._sender.deliver_due() if self._sender else 0
        return {"transfers_settled": settled, "refunds_processed": refunds, "webhooks_sent": sent}

    def _build_app(self) -> FastAPI:
        app = FastAPI(
            title="Paystack sandbox",
            description="A local simulator of api.paystack.co (test mode).",
            version="1",
        )
        app.include_router(build_api_router(self))
        app.include_router(build_checkout_router(self))
        app.include_router(build_control_router(self))
        app.include_router(build_subscriptions_router(self))
        install_error_handlers(
            app,
            provider="paystack",
            error_type=PaystackApiError,
            http_error=lambda detail, _: {"status": False, "message": detail},
            invalid=lambda message: PaystackApiError(message).body(),
            internal=lambda: {"status": False, "message": "An error occurred"},
        )
        install_faults(
            app,
            self.faults,
            error_body=lambda _: {"status": False, "message": "Service unavailable"},
            exempt=("/_sandbox", "/checkout"),
        )
        return app


def create_app(config: PaystackSandboxConfig) -> FastAPI:
    """A standalone server (``kro sandbox paystack --port N``) whose lifespan runs the sandbox."""
    return standalone_app("Paystack sandbox", PaystackSandbox(config))
