"""The hosted checkout page at the payment ``link`` (``/hosted/pay/{token}``).

A person sees the amount, the merchant and the customer, and presses *Pay* (the test card
succeeds), *Decline* (the card is declined) or *Cancel*. The buttons POST a form to
``…/pay``, ``…/decline`` or ``…/cancel``. Browsers (``Accept: text/html``) are then
redirected (303) to ``redirect_url?status=successful|failed&tx_ref=…&transaction_id=…``
(cancel: ``status=cancelled&tx_ref=…``, the transaction stays ``pending``), as Flutterwave's
standard checkout does (providers.md 2 [S]); without a redirect URL they see the result. Any
other client (tests, the demo) gets JSON::

    POST {link}/pay
    → 200 {"status": "success", "message": "Payment successful",
           "data": {"id", "tx_ref", "status": "successful", "redirect_url"}}

Paying or declining a completed transaction changes nothing and answers its state. An unknown
link is a 404.
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
from kro.sandbox.flutterwave import transactions
from kro.sandbox.flutterwave.api import success
from kro.sandbox.flutterwave.errors import not_found
from kro.sandbox.flutterwave.models import Transaction

if TYPE_CHECKING:
    from kro.sandbox.flutterwave.app import FlutterwaveSandbox

_PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flutterwave sandbox checkout</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#fff8ef;margin:0;padding:2rem}
main{max-width:26rem;margin:auto;background:#fff;border-radius:12px;padding:2rem;
box-shadow:0 2px 12px #0001}
h1{font-size:1.1rem;color:#555;margin:0 0 .25rem}.amount{font-size:2rem;font-weight:700}
.muted{color:#777;font-size:.9rem}.row{display:flex;gap:.5rem;margin-top:1.5rem}
button{width:100%;padding:.8rem;border:0;border-radius:8px;font-size:1rem;cursor:pointer}
.pay{background:#f5a623;color:#fff}.decline{background:#eee;color:#a00}
.cancel{background:#fff;color:#555;border:1px solid #ccc}
.badge{display:inline-block;background:#fdf0c4;color:#8a6d00;border-radius:4px;
padding:.1rem .4rem;font-size:.75rem}
</style></head><body><main>
<span class="badge">TEST MODE · KRO sandbox</span>
<h1>$title</h1>
<div class="amount">$currency $amount</div>
<p class="muted">$description<br>Paying as <b>$customer</b><br>
Reference: <code>$tx_ref</code></p>
$body
</main></body></html>""")

_BUTTONS = Template("""<p class="muted">Sandbox: no real card is charged</p>
<div class="row">
<form method="post" action="$link/cancel" style="flex:1">
<button class="cancel" type="submit">Cancel</button></form>
<form method="post" action="$link/decline" style="flex:1">
<button class="decline" type="submit">Decline</button></form>
<form method="post" action="$link/pay" style="flex:1">
<button class="pay" type="submit">Pay</button></form>
</div>""")

_MESSAGES = {
    "pending": "Payment pending",
    "successful": "Payment successful",
    "failed": "Payment failed",
    "cancelled": "Payment cancelled",
}


def redirect_to(t: Transaction, outcome: str) -> str | None:
    """``redirect_url`` with Flutterwave's query: ``status``, ``tx_ref`` and (unless
    cancelled) ``transaction_id``."""
    if not t.redirect_url:
        return None
    query = {"status": outcome, "tx_ref": t.tx_ref}
    if outcome != "cancelled":
        query["transaction_id"] = str(t.id)
    sep = "&" if "?" in t.redirect_url else "?"
    return f"{t.redirect_url}{sep}{urlencode(query)}"


def build_page_router(sandbox: "FlutterwaveSandbox") -> APIRouter:
    """``GET /hosted/pay/{token}`` (the page), ``POST …/pay``, ``…/decline``, ``…/cancel``."""
    router = APIRouter(prefix="/hosted/pay", tags=["flutterwave checkout"])
    config = sandbox.config

    async def db() -> AsyncIterator[AsyncSession]:
        async with unit_of_work(sandbox.sessions) as session:
            yield session

    Db = Annotated[AsyncSession, Depends(db, scope="function")]

    async def load(session: AsyncSession, token: str) -> Transaction:
        transaction = await transactions.by_token(session, token, for_update=True)
        if transaction is None:
            raise not_found("Invalid or expired payment link")
        return transaction

    def render(t: Transaction) -> str:
        merchant = config.by_account_id(t.account_id)
        custom = t.customizations or {}
        link = html.escape(f"{config.public_base_url.rstrip('/')}/hosted/pay/{t.token}")
        if t.status == "pending":
            body = _BUTTONS.substitute(link=link)
        else:
            body = f"<p><b>{_MESSAGES[t.status]}</b></p>"
        return _PAGE.substitute(
            title=html.escape(
                str(custom.get("title") or (merchant.business_name if merchant else "Flutterwave"))
            ),
            description=html.escape(str(custom.get("description") or "")),
            currency=html.escape(t.currency),
            amount=f"{to_major(t.amount, t.currency):,.2f}",
            customer=html.escape(t.customer_email),
            tx_ref=html.escape(t.tx_ref),
            body=body,
        )

    def answer(request: Request, t: Transaction, outcome: str) -> Response:
        redirect = redirect_to(t, outcome)
        if "text/html" in request.headers.get("accept", ""):
            if redirect:
                return RedirectResponse(redirect, status_code=303)
            return HTMLResponse(render(t))
        data = {"id": t.id, "tx_ref": t.tx_ref, "status": t.status, "redirect_url": redirect}
        return success(_MESSAGES.get(outcome, outcome), data)

    @router.get("/{token}", response_class=HTMLResponse)
    async def page(token: str, session: Db) -> HTMLResponse:
        transaction = await transactions.by_token(session, token)
        if transaction is None:
            return HTMLResponse("<h1>Invalid or expired payment link</h1>", status_code=404)
        return HTMLResponse(render(transaction))

    @router.post("/{token}/pay")
    async def pay(token: str, request: Request, session: Db) -> Response:
        t = await transactions.complete(
            session, config, await load(session, token), successful=True
        )
        return answer(request, t, t.status)

    @router.post("/{token}/decline")
    async def decline(token: str, request: Request, session: Db) -> Response:
        t = await transactions.complete(
            session, config, await load(session, token), successful=False
        )
        return answer(request, t, t.status)

    @router.post("/{token}/cancel")
    async def cancel(token: str, request: Request, session: Db) -> Response:
        t = await load(session, token)
        return answer(request, t, "cancelled" if t.status == "pending" else t.status)

    return router
