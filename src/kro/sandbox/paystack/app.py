"""The simulator as an ASGI app: :class:`PaystackSandbox` (mountable) and :func:`create_app`.

Mounted inside ``kro serve`` (``app.mount("/sandbox/paystack", sandbox.app)``), a sub-app's
lifespan never runs, so the host enters :meth:`PaystackSandbox.running` itself. Standalone
(``kro sandbox paystack --port N``), :func:`create_app` wires ``running()`` into the lifespan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from kro.kit.db import unit_of_work
from kro.sandbox.common.lifecycle import standalone_app
from kro.sandbox.common.service import SandboxService
from kro.sandbox.paystack import charges, transfers
from kro.sandbox.paystack.api import build_api_router
from kro.sandbox.paystack.checkout import build_checkout_router
from kro.sandbox.paystack.config import PaystackSandboxConfig
from kro.sandbox.paystack.control import build_control_router
from kro.sandbox.paystack.errors import PaystackApiError
from kro.sandbox.paystack.subscriptions import build_subscriptions_router
from kro.sandbox.paystack.util import integration_id
from kro.sandbox.paystack.webhooks import WebhookSender


class PaystackSandbox(SandboxService[PaystackSandboxConfig]):
    """A Paystack look-alike: ``.app`` serves the API, the checkout and ``/_sandbox`` control.

    ``running()`` must be entered before requests are served: it opens the database (creating
    the ``paystack_*`` tables) and runs the background loop that settles transfers, processes
    refunds and delivers webhooks. Requests outside it get a Paystack-shaped 503.
    """

    provider = "paystack"
    title = "Paystack sandbox"
    description = "A local simulator of api.paystack.co (test mode)."
    sender_type = WebhookSender
    error_type = PaystackApiError
    fault_exempt = ("/_sandbox", "/checkout")

    def __init__(self, config: PaystackSandboxConfig) -> None:
        self.integrations: dict[str, int] = {k: integration_id(k) for k in config.secret_keys}
        super().__init__(config)

    async def tick(self) -> dict[str, int]:
        """One pass of due work: settle transfers, process refunds, send webhooks."""
        async with unit_of_work(self.sessions) as session:
            settled = await transfers.settle_due(session, self.config)
        async with unit_of_work(self.sessions) as session:
            refunds = await charges.process_due_refunds(session, self.config)
        sent = await self.deliver_due()
        return {"transfers_settled": settled, "refunds_processed": refunds, "webhooks_sent": sent}

    def routers(self) -> Sequence[APIRouter]:
        return (
            build_api_router(self),
            build_checkout_router(self),
            build_control_router(self),
            build_subscriptions_router(self),
        )

    def not_running(self) -> Exception:
        return PaystackApiError("Sandbox is not running", http_status=503, code=None)

    def http_error(self, detail: str, status: int) -> dict[str, Any]:
        return {"status": False, "message": detail}

    def invalid(self, message: str) -> dict[str, Any]:
        return PaystackApiError(message).body()

    def internal(self) -> dict[str, Any]:
        return {"status": False, "message": "An error occurred"}

    def fault_error(self, status: int) -> dict[str, Any]:
        return {"status": False, "message": "Service unavailable"}


def create_app(config: PaystackSandboxConfig) -> FastAPI:
    """A standalone server (``kro sandbox paystack --port N``) whose lifespan runs the sandbox."""
    return standalone_app("Paystack sandbox", PaystackSandbox(config))
