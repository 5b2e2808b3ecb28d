"""The sandbox's hosted payment page for a PaymentIntent, ``/pay/{pi_id}`` — our stand-in for
Stripe Checkout and for the bank's 3-D Secure page (real Stripe has no such URL for a bare
PaymentIntent; an integration would use Checkout Sessions or Stripe.js).

- ``GET /pay/{pi_id}[?return_url=…]``: the amount, the merchant and two buttons.
- ``POST /pay/{pi_id}/pay``: a PI waiting for a payment method is confirmed with the test card
  ``pm_card_visa``; one in ``requires_action`` passes authentication. Then it is
  ``succeeded`` (automatic capture) or ``requires_capture`` (manual).
- ``POST /pay/{pi_id}/decline``: the card is declined (``generic_decline``), or the
  authentication fails (``payment_intent_authentication_failure``); the PI is back in
  ``requires_payment_method`` with ``last_payment_error``.

Browsers (``Accept: text/html``) are then redirected (303) to the return URL — the
``return_url`` query parameter, else the PI's own — with ``payment_intent``,
``payment_intent_client_secret`` and ``redirect_status=succeeded|failed``, as Stripe does after
a redirect. Other clients get JSON ``{"payment_intent": {...}, "redirect_url": …}``. Paying a
paid PI changes nothing.
"""

import html
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.money import MoneyError, to_major
from kro.sandbox.common.page import buttons, hosted_page, missing_page, wants_html, with_query
from kro.sandbox.common.service import session_dependency
from kro.sandbox.stripe.errors import StripeApiError, no_such
from kro.sandbox.stripe.idempotency import stripe_json
from kro.sandbox.stripe.intents import DECLINES
from kro.sandbox.stripe.models import PaymentIntent

if TYPE_CHECKING:
    from kro.sandbox.stripe.app import StripeSandbox

SUCCESSFUL = frozenset({"succeeded", "requires_capture", "processing"})
OPEN = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})


def redirect_to(pi: PaymentIntent, return_url: str | None) -> str | None:
    """``return_url`` with Stripe's redirect parameters, or None if there is none."""
    target = return_url or pi.return_url
    if not target:
        return None
    status = "succeeded" if pi.status in SUCCESSFUL else "failed"
    query = {"payment_intent": pi.id, "payment_intent_client_secret": pi.client_secret}
    return with_query(target, query | {"redirect_status": status})


def _amount(pi: PaymentIntent) -> str:
    try:
        return f"{to_major(pi.amount, pi.currency.upper()):,.2f}"
    except (MoneyError, KeyError):
        return str(pi.amount)


def build_page_router(sandbox: "StripeSandbox") -> APIRouter:
    """``GET /pay/{pi_id}``, ``POST /pay/{pi_id}/pay``, ``POST /pay/{pi_id}/decline``."""
    router = APIRouter(tags=["stripe hosted page"])
    config = sandbox.config
    book = sandbox.intents

    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    async def load(session: AsyncSession, pi_id: str) -> PaymentIntent:
        pi = await session.scalar(
            select(PaymentIntent).where(PaymentIntent.id == pi_id).with_for_update()
        )
        if pi is None:
            raise no_such("payment_intent", pi_id, param="intent")
        return pi

    def render(pi: PaymentIntent, return_url: str | None) -> str:
        account = config.by_account_id(pi.account_id)
        body = ""
        if pi.status in OPEN:
            three_ds = pi.status == "requires_action"
            query = f"?{urlencode({'return_url': return_url})}" if return_url else ""
            link = f"{config.public_base_url.rstrip('/')}/pay/{pi.id}"
            pay, decline = (
                ("Complete authentication", "Fail authentication")
                if three_ds
                else ("Pay", "Decline")
            )
            body = buttons(
                [(f"{link}/decline{query}", "decline", decline), (f"{link}/pay{query}", "pay", pay)]
            )
        error = (pi.last_payment_error or {}).get("message")
        if error and pi.status in OPEN:
            body = f"<p><b>{html.escape(error)}</b></p>" + body
        what = html.escape(pi.description or pi.receipt_email or "")
        return hosted_page(
            title="Stripe sandbox payment",
            background="#f6f9fc",
            accent="#635bff",
            heading=html.escape(account.display_name if account else "Stripe merchant"),
            amount=f"{_amount(pi)} {html.escape(pi.currency.upper())}",
            details=f"{what}<br>PaymentIntent: <code>{html.escape(pi.id)}</code> · "
            f"status <b>{html.escape(pi.status)}</b>",
            body=body,
        )

    def answer(request: Request, pi: PaymentIntent) -> Response:
        return_url = request.query_params.get("return_url")
        target = redirect_to(pi, return_url)
        if wants_html(request):
            if target:
                return RedirectResponse(target, status_code=303)
            return HTMLResponse(render(pi, return_url))
        return stripe_json({"payment_intent": book.shape(pi), "redirect_url": target})

    @router.get("/pay/{pi_id}", response_class=HTMLResponse)
    async def page(pi_id: str, request: Request, session: Db) -> HTMLResponse:
        pi = await session.get(PaymentIntent, pi_id)
        if pi is None:
            return missing_page("payment link")
        return HTMLResponse(render(pi, request.query_params.get("return_url")))

    @router.post("/pay/{pi_id}/pay")
    async def pay(pi_id: str, request: Request, session: Db) -> Response:
        pi = await load(session, pi_id)
        if pi.status == "requires_action":
            await book.authorize(session, pi)
        elif pi.status in OPEN:
            await book.confirm(session, pi, "pm_card_visa", None)
        return answer(request, pi)

    @router.post("/pay/{pi_id}/decline")
    async def decline(pi_id: str, request: Request, session: Db) -> Response:
        pi = await load(session, pi_id)
        if pi.status == "requires_action":
            await book.fail_authentication(session, pi)
        elif pi.status in OPEN:
            pi.payment_method = "pm_card_chargeDeclined"
            try:
                await book.decline(session, pi, *DECLINES["pm_card_chargeDeclined"])
            except StripeApiError as exc:  # the page shows the decline; the PI keeps it
                if not exc.keep:
                    raise
        return answer(request, pi)

    return router
