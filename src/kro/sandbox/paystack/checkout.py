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
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.money import to_major
from kro.sandbox.common.page import buttons, hosted_page, missing_page, wants_html, with_query
from kro.sandbox.common.service import session_dependency
from kro.sandbox.paystack import charges
from kro.sandbox.paystack.errors import PaystackApiError
from kro.sandbox.paystack.models import Transaction

if TYPE_CHECKING:
    from kro.sandbox.paystack.app import PaystackSandbox

TEST_CARD = "Test card 4084 0840 8408 4081 · CVV 408 · PIN 0000"

_MESSAGES = {
    "success": "Payment successful",
    "failed": "Payment declined",
    "reversed": "Payment was refunded",
    "abandoned": "Payment not completed",
}


def _redirect_url(tx: Transaction) -> str | None:
    if not tx.callback_url:
        return None
    return with_query(tx.callback_url, {"trxref": tx.reference, "reference": tx.reference})


def build_checkout_router(sandbox: "PaystackSandbox") -> APIRouter:
    """``GET /checkout/{code}`` (the page), ``POST …/pay`` and ``POST …/decline``."""
    router = APIRouter(tags=["paystack checkout"])
    config = sandbox.config

    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    async def load(session: AsyncSession, access_code: str) -> Transaction:
        tx = await charges.by_access_code(session, access_code, for_update=True)
        if tx is None:
            raise PaystackApiError("Invalid access code", http_status=404, code=None)
        return tx

    async def render(session: AsyncSession, tx: Transaction) -> str:
        customer = await charges.customer_of(session, tx)
        link = f"{config.public_base_url}/checkout/{tx.access_code}"
        card = buttons(
            [(f"{link}/decline", "decline", "Decline"), (f"{link}/pay", "pay", "Pay")],
            note=TEST_CARD,
        )
        if tx.status == "abandoned":
            body = card
        else:
            body = f"<p><b>{html.escape(_MESSAGES.get(tx.status, tx.status))}</b></p>"
            if tx.status == "failed":
                body += card
        amount = f"{html.escape(tx.currency)} {to_major(tx.amount, tx.currency):,.2f}"
        return hosted_page(
            title="Paystack sandbox checkout",
            background="#f3f5f9",
            accent="#0ba4db",
            heading=html.escape(config.business_name),
            amount=amount,
            details=f"Paying as <b>{html.escape(customer.email)}</b><br>"
            f"Reference: <code>{html.escape(tx.reference)}</code>",
            body=body,
        )

    async def answer(request: Request, session: AsyncSession, tx: Transaction) -> Response:
        redirect = _redirect_url(tx)
        if wants_html(request):
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
            return missing_page("checkout link")
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
