"""The hosted checkout page at ``authorization_url`` (``/checkout/{access_code}``).

A person sees the amount in naira, the merchant and the customer's email, and presses *Pay*
(the test card succeeds) or *Decline*. Both buttons POST a form to
``/checkout/{access_code}/pay`` or ``/decline``. Browsers (``Accept: text/html``) are redirected
(303) to ``callback_url?trxref=<ref>&reference=<ref>`` as Paystack does, or shown a result page
when there is no callback URL. Any other client (tests, the demo) gets JSON::

    POST /checkout/{access_code}/pay      (empty body, JSON or form)
    → 200 {"status": true, "message": "Payment successful",
           "data": {"reference": "...", "status": "success", "redirect_url": "..." | null}}

Paying twice, or declining a paid transaction, changes nothing and answers the current state.
An unknown access code is a 404.
"""

import html
from collections.abc import AsyncIterator
from string import Template
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.db import unit_of_work
from kro.kit.money import to_major
from kro.sandbox.paystack import charges
from kro.sandbox.paystack.errors import PaystackApiError
from kro.sandbox.paystack.models import Transaction

if TYPE_CHECKING:
    from kro.sandbox.paystack.app import PaystackSandbox

_PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Paystack sandbox checkout</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#f3f5f9;margin:0;padding:2rem}
main{max-width:26rem;margin:auto;background:#fff;border-radius:12px;padding:2rem;
box-shadow:0 2px 12px #0001}
h1{font-size:1.1rem;color:#555;margin:0 0 .25rem}.amount{font-size:2rem;font-weight:700}
.muted{color:#777;font-size:.9rem}.row{display:flex;gap:.75rem;margin-top:1.5rem}
button{flex:1;padding:.8rem;border:0;border-radius:8px;font-size:1rem;cursor:pointer}
.pay{background:#0ba4db;color:#fff}.decline{background:#eee;color:#a00}
.badge{display:inline-block;background:#fdf0c4;color:#8a6d00;border-radius:4px;
padding:.1rem .4rem;font-size:.75rem}
</style></head><body><main>
<span class="badge">TEST MODE · KRO sandbox</span>
<h1>$business</h1>
<div class="amount">$currency $amount</div>
<p class="muted">Paying as <b>$email</b><br>Reference: <code>$reference</code></p>
$body
</main></body></html>""")

_BUTTONS = Template("""<p class="muted">Test card 4084 0840 8408 4081 · CVV 408 · PIN 0000</p>
<div class="row">
<form method="post" action="$base/checkout/$code/decline" style="flex:1;display:flex">
<button class="decline" type="submit">Decline</button></form>
<form method="post" action="$base/checkout/$code/pay" style="flex:1;display:flex">
<button class="pay" type="submit">Pay</button></form>
</div>""")

_MESSAGES = {
    "success": "Payment successful",
    "failed": "Payment declined",
    "reversed": "Payment was refunded",
    "abandoned": "Payment not completed",
}


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _redirect_url(tx: Transaction) -> str | None:
    if not tx.callback_url:
        return None
    sep = "&" if "?" in tx.callback_url else "?"
    return f"{tx.callback_url}{sep}{urlencode({'trxref': tx.reference, 'reference': tx.reference})}"


def build_checkout_router(sandbox: "PaystackSandbox") -> APIRouter:
    """``GET /checkout/{code}`` (the page), ``POST …/pay`` and ``POST …/decline``."""
    router = APIRouter(tags=["paystack checkout"])
    config = sandbox.config

    async def db() -> AsyncIterator[AsyncSession]:
        async with unit_of_work(sandbox.sessions) as session:
            yield session

    Db = Annotated[AsyncSession, Depends(db, scope="function")]

    async def load(session: AsyncSession, access_code: str) -> Transaction:
        tx = await charges.by_access_code(session, access_code, for_update=True)
        if tx is None:
            raise PaystackApiError("Invalid access code", http_status=404, code=None)
        return tx

    async def render(session: AsyncSession, tx: Transaction) -> str:
        customer = await charges.customer_of(session, tx)
        if tx.status == "abandoned":
            body = _BUTTONS.substitute(
                base=html.escape(config.public_base_url), code=html.escape(tx.access_code)
            )
        else:
            body = f"<p><b>{html.escape(_MESSAGES.get(tx.status, tx.status))}</b></p>"
            if tx.status == "failed":
                body += _BUTTONS.substitute(
                    base=html.escape(config.public_base_url), code=html.escape(tx.access_code)
                )
        return _PAGE.substitute(
            business=html.escape(config.business_name),
            currency=html.escape(tx.currency),
            amount=f"{to_major(tx.amount, tx.currency):,.2f}",
            email=html.escape(customer.email),
            reference=html.escape(tx.reference),
            body=body,
        )

    async def answer(request: Request, session: AsyncSession, tx: Transaction) -> Response:
        redirect = _redirect_url(tx)
        if _wants_html(request):
            if redirect and tx.status in ("success", "failed"):
                return RedirectResponse(redirect, status_code=303)
            return HTMLResponse(await render(session, tx))
        return JSONResponse(
            {
                "status": True,
                "message": _MESSAGES.get(tx.status, tx.status),
                "data": {"reference": tx.reference, "status": tx.status, "redirect_url": redirect},
            }
        )

    @router.get("/checkout/{access_code}", response_class=HTMLResponse)
    async def page(access_code: str, session: Db) -> HTMLResponse:
        tx = await charges.by_access_code(session, access_code)
        if tx is None:
            return HTMLResponse("<h1>Invalid or expired checkout link</h1>", status_code=404)
        return HTMLResponse(await render(session, tx))

    @router.post("/checkout/{access_code}/pay")
    async def pay(access_code: str, request: Request, session: Db) -> Response:
        tx = await load(session, access_code)
        ip_address = request.client.host if request.client else None
        await charges.pay(session, config, tx, ip_address=ip_address)
        return await answer(request, session, tx)

    @router.post("/checkout/{access_code}/decline")
    async def decline(access_code: str, request: Request, session: Db) -> Response:
        tx = await load(session, access_code)
        await charges.decline(session, tx)
        return await answer(request, session, tx)

    return router
