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
from collections.abc import AsyncIterator
from string import Template
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.db import unit_of_work
from kro.kit.money import MoneyError, to_major
from kro.sandbox.stripe.errors import StripeApiError, no_such
from kro.sandbox.stripe.idempotency import stripe_json
from kro.sandbox.stripe.intents import DECLINES
from kro.sandbox.stripe.models import PaymentIntent

if TYPE_CHECKING:
    from kro.sandbox.stripe.app import StripeSandbox

_PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stripe sandbox payment</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#f6f9fc;margin:0;padding:2rem}
main{max-width:26rem;margin:auto;background:#fff;border-radius:12px;padding:2rem;
box-shadow:0 2px 12px #0001}
h1{font-size:1.1rem;color:#555;margin:0 0 .25rem}.amount{font-size:2rem;font-weight:700}
.muted{color:#777;font-size:.9rem}.row{display:flex;gap:.75rem;margin-top:1.5rem}
button{flex:1;padding:.8rem;border:0;border-radius:8px;font-size:1rem;cursor:pointer}
.pay{background:#635bff;color:#fff}.decline{background:#eee;color:#a00}
.badge{display:inline-block;background:#fdf0c4;color:#8a6d00;border-radius:4px;
padding:.1rem .4rem;font-size:.75rem}
</style></head><body><main>
<span class="badge">TEST MODE · KRO sandbox</span>
<h1>$merchant</h1>
<div class="amount">$amount $currency</div>
<p class="muted">$what<br>PaymentIntent: <code>$pi</code> · status <b>$status</b></p>
$body
</main></body></html>""")

_BUTTONS = Template("""<p class="muted">Sandbox: no real card is charged</p>
<div class="row">
<form method="post" action="$base/pay/$pi/decline$query" style="flex:1;display:flex">
<button class="decline" type="submit">$decline</button></form>
<form method="post" action="$base/pay/$pi/pay$query" style="flex:1;display:flex">
<button class="pay" type="submit">$pay</button></form>
</div>""")

SUCCESSFUL = frozenset({"succeeded", "requires_capture", "processing"})
OPEN = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})


def redirect_to(pi: PaymentIntent, return_url: str | None) -> str | None:
    """``return_url`` with Stripe's redirect parameters, or None if there is none."""
    target = return_url or pi.return_url
    if not target:
        return None
    status = "succeeded" if pi.status in SUCCESSFUL else "failed"
    query = urlencode({"payment_intent": pi.id, "payment_intent_client_secret": pi.client_secret,
                       "redirect_status": status})  # fmt: skip
    return f"{target}{'&' if '?' in target else '?'}{query}"


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

    async def db() -> AsyncIterator[AsyncSession]:
        async with unit_of_work(sandbox.sessions) as session:
            yield session

    Db = Annotated[AsyncSession, Depends(db, scope="function")]

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
            body = _BUTTONS.substitute(
                base=html.escape(config.public_base_url.rstrip("/")),
                pi=html.escape(pi.id),
                query=html.escape(query),
                pay="Complete authentication" if three_ds else "Pay",
                decline="Fail authentication" if three_ds else "Decline",
            )
        error = (pi.last_payment_error or {}).get("message")
        if error and pi.status in OPEN:
            body = f"<p><b>{html.escape(error)}</b></p>" + body
        return _PAGE.substitute(
            merchant=html.escape(account.display_name if account else "Stripe merchant"),
            amount=_amount(pi),
            currency=html.escape(pi.currency.upper()),
            what=html.escape(pi.description or pi.receipt_email or ""),
            pi=html.escape(pi.id),
            status=html.escape(pi.status),
            body=body,
        )

    def answer(request: Request, pi: PaymentIntent) -> Response:
        return_url = request.query_params.get("return_url")
        target = redirect_to(pi, return_url)
        if "text/html" in request.headers.get("accept", ""):
            if target:
                return RedirectResponse(target, status_code=303)
            return HTMLResponse(render(pi, return_url))
        return stripe_json({"payment_intent": book.shape(pi), "redirect_url": target})

    @router.get("/pay/{pi_id}", response_class=HTMLResponse)
    async def page(pi_id: str, request: Request, session: Db) -> HTMLResponse:
        pi = await session.get(PaymentIntent, pi_id)
        if pi is None:
            return HTMLResponse("<h1>Invalid or expired payment link</h1>", status_code=404)
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
