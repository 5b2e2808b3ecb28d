"""The hosted checkout page at the checkout ``link`` (``/pay/{reference}``).

A person sees the amount, the business and the customer, and presses *Pay* (the test card
succeeds) or *Decline*. Both buttons POST a form to ``/pay/{reference}/pay`` or ``/decline``.
Browsers (``Accept: text/html``) are then redirected (303) to ``redirectUrl?reference=<the
merchant's reference>`` as Fincra does (docs: checkout-redirect, step 2), or shown the result
when there is no redirect URL. Any other client (tests, the demo) gets JSON::

    POST {link}/pay        (empty body, JSON or form)
    → 200 {"status": true, "message": "Payment successful",
           "data": {"reference", "merchantReference", "status": "success", "redirectUrl"}}

Paying twice changes nothing and answers the current state; a declined checkout may still be
paid (another card). An unknown reference is a 404.
"""

import html
from collections.abc import AsyncIterator
from string import Template
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.db import unit_of_work
from kro.kit.money import to_major
from kro.sandbox.fincra import checkouts
from kro.sandbox.fincra.api import fincra_json
from kro.sandbox.fincra.errors import not_found
from kro.sandbox.fincra.models import Checkout

if TYPE_CHECKING:
    from kro.sandbox.fincra.app import FincraSandbox

_PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fincra sandbox checkout</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#f4f2fb;margin:0;padding:2rem}
main{max-width:26rem;margin:auto;background:#fff;border-radius:12px;padding:2rem;
box-shadow:0 2px 12px #0001}
h1{font-size:1.1rem;color:#555;margin:0 0 .25rem}.amount{font-size:2rem;font-weight:700}
.muted{color:#777;font-size:.9rem}.row{display:flex;gap:.75rem;margin-top:1.5rem}
button{flex:1;padding:.8rem;border:0;border-radius:8px;font-size:1rem;cursor:pointer}
.pay{background:#5a31f4;color:#fff}.decline{background:#eee;color:#a00}
.badge{display:inline-block;background:#fdf0c4;color:#8a6d00;border-radius:4px;
padding:.1rem .4rem;font-size:.75rem}
</style></head><body><main>
<span class="badge">TEST MODE · KRO sandbox</span>
<h1>$business</h1>
<div class="amount">$currency $amount</div>
<p class="muted">Paying as <b>$customer</b><br>Reference: <code>$reference</code></p>
$body
</main></body></html>""")

_BUTTONS = Template("""<p class="muted">Sandbox: no real card is charged</p>
<div class="row">
<form method="post" action="$base/pay/$ref/decline" style="flex:1;display:flex">
<button class="decline" type="submit">Decline</button></form>
<form method="post" action="$base/pay/$ref/pay" style="flex:1;display:flex">
<button class="pay" type="submit">Pay</button></form>
</div>""")

_MESSAGES = {
    "pending": "Payment pending",
    "success": "Payment successful",
    "failed": "Payment failed",
}


def _redirect_url(checkout: Checkout) -> str | None:
    if not checkout.redirect_url:
        return None
    sep = "&" if "?" in checkout.redirect_url else "?"
    return f"{checkout.redirect_url}{sep}{urlencode({'reference': checkout.merchant_reference})}"


def build_page_router(sandbox: "FincraSandbox") -> APIRouter:
    """``GET /pay/{reference}`` (the page), ``POST …/pay`` and ``POST …/decline``."""
    router = APIRouter(tags=["fincra checkout"])
    config = sandbox.config

    async def db() -> AsyncIterator[AsyncSession]:
        async with unit_of_work(sandbox.sessions) as session:
            yield session

    Db = Annotated[AsyncSession, Depends(db, scope="function")]

    async def load(session: AsyncSession, reference: str) -> Checkout:
        checkout = await checkouts.by_reference(session, reference, for_update=True)
        if checkout is None:
            raise not_found("Checkout not found")
        return checkout

    def render(checkout: Checkout) -> str:
        merchant = config.by_business_id(checkout.business_id)
        base = html.escape(config.public_base_url.rstrip("/"))
        if checkout.status == "success":
            message = checkout.success_message or _MESSAGES["success"]
            body = f"<p><b>{html.escape(message)}</b></p>"
        else:
            body = _BUTTONS.substitute(base=base, ref=html.escape(checkout.reference))
            if checkout.status == "failed":
                body = f"<p><b>{_MESSAGES['failed']}</b></p>" + body
        return _PAGE.substitute(
            business=html.escape(merchant.business_name if merchant else "Fincra merchant"),
            currency=html.escape(checkout.currency),
            amount=f"{to_major(checkouts.charged(checkout), checkout.currency):,.2f}",
            customer=html.escape(checkout.customer_email or checkout.customer_name),
            reference=html.escape(checkout.merchant_reference),
            body=body,
        )

    def answer(request: Request, checkout: Checkout) -> Response:
        redirect = _redirect_url(checkout)
        if "text/html" in request.headers.get("accept", ""):
            if redirect and checkout.status in ("success", "failed"):
                return RedirectResponse(redirect, status_code=303)
            return HTMLResponse(render(checkout))
        return fincra_json(
            {
                "status": True,
                "message": _MESSAGES.get(checkout.status, checkout.status),
                "data": {
                    "reference": checkout.reference,
                    "merchantReference": checkout.merchant_reference,
                    "status": checkout.status,
                    "redirectUrl": redirect,
                },
            }
        )

    @router.get("/pay/{reference}", response_class=HTMLResponse)
    async def page(reference: str, session: Db) -> HTMLResponse:
        checkout = await checkouts.by_reference(session, reference)
        if checkout is None:
            return HTMLResponse("<h1>Invalid or expired checkout link</h1>", status_code=404)
        return HTMLResponse(render(checkout))

    @router.post("/pay/{reference}/pay")
    async def pay(reference: str, request: Request, session: Db) -> Response:
        checkout = await checkouts.pay(session, await load(session, reference))
        return answer(request, checkout)

    @router.post("/pay/{reference}/decline")
    async def decline(reference: str, request: Request, session: Db) -> Response:
        checkout = await checkouts.decline(session, await load(session, reference))
        return answer(request, checkout)

    return router
