"""The simulator as an ASGI app: :class:`StripeSandbox` (mountable) and :func:`create_app`.

Mounted inside ``kro serve`` (``app.mount("/sandbox/stripe", sandbox.app)``), a sub-app's
lifespan never runs, so the host enters :meth:`StripeSandbox.running` itself. Standalone,
:func:`create_app` wires ``running()`` into the lifespan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from kro.kit.db import unit_of_work
from kro.sandbox.common.lifecycle import standalone_app
from kro.sandbox.common.service import SandboxService
from kro.sandbox.stripe import refunds
from kro.sandbox.stripe.api import build_api_router
from kro.sandbox.stripe.config import StripeSandboxConfig
from kro.sandbox.stripe.control import build_control_router
from kro.sandbox.stripe.errors import StripeApiError
from kro.sandbox.stripe.intents import Intents
from kro.sandbox.stripe.page import build_page_router
from kro.sandbox.stripe.webhooks import WebhookSender

UNRECOGNIZED_URL = (
    "Unrecognized request URL. Please see https://stripe.com/docs or we can help at "
    "https://support.stripe.com/."
)


class StripeSandbox(SandboxService[StripeSandboxConfig]):
    """A Stripe look-alike (test mode): ``.app`` serves the ``/v1`` API, the hosted page
    ``/pay/{pi_id}`` and ``/_sandbox`` control; ``.faults`` is its fault switch.

    ``running()`` must be entered before requests are served: it opens the database (creating
    the ``stripe_*`` tables) and runs the loop that expires authorizations, settles refunds and
    delivers webhooks. Requests outside it get Stripe's 503 ``api_error``.
    """

    provider = "stripe"
    title = "Stripe sandbox"
    description = "A local simulator of Stripe's PaymentIntents, refunds and webhooks."
    sender_type = WebhookSender
    error_type = StripeApiError
    fault_exempt = ("/_sandbox", "/pay")

    def __init__(self, config: StripeSandboxConfig) -> None:
        self.intents = Intents(config)
        super().__init__(config)

    async def tick(self) -> dict[str, int]:
        """One pass of due work: expire overdue authorizations, settle due refunds, then send
        the webhooks that are due (those just made included)."""
        async with unit_of_work(self.sessions) as session:
            expired = await self.intents.expire_due(session)
            settled = await refunds.settle_due(session)
        sent = await self.deliver_due()
        return {
            "authorizations_expired": expired,
            "refunds_settled": settled,
            "webhooks_sent": sent,
        }

    def routers(self) -> Sequence[APIRouter]:
        return build_api_router(self), build_page_router(self), build_control_router(self)

    def not_running(self) -> Exception:
        return StripeApiError("Sandbox is not running", type="api_error", http_status=503)

    def http_error(self, detail: str, status: int) -> dict[str, Any]:
        message = UNRECOGNIZED_URL if status == 404 else detail
        return StripeApiError(message, http_status=status).body()

    def invalid(self, message: str) -> dict[str, Any]:
        return StripeApiError(message).body()

    def internal(self) -> dict[str, Any]:
        return StripeApiError("An unknown error occurred", type="api_error", http_status=500).body()

    def fault_error(self, status: int) -> dict[str, Any]:
        return {"error": {"type": "api_error", "message": "Service unavailable"}}


def create_app(config: StripeSandboxConfig) -> FastAPI:
    """A standalone server whose lifespan runs the sandbox."""
    return standalone_app("Stripe sandbox", StripeSandbox(config))
