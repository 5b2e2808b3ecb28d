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
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.money import to_major
from kro.sandbox.common.page import buttons, hosted_page, missing_page, wants_html, with_query
from kro.sandbox.common.service import session_dependency
from kro.sandbox.fincra import checkouts
from kro.sandbox.fincra.api import fincra_json
from kro.sandbox.fincra.errors import not_found
from kro.sandbox.fincra.models import Checkout

if TYPE_CHECKING:
    from kro.sandbox.fincra.app import FincraSandbox

_MESSAGES = {
    "pending": "Payment pending",
    "success": "Payment successful",
    "failed": "Payment failed",
}


def _redirect_url(checkout: Checkout) -> str | None:
    if not checkout.redirect_url:
        return None
    return with_query(checkout.redirect_url, {"reference": checkout.merchant_reference})


def build_page_router(sandbox: "FincraSandbox") -> APIRouter:
    """``GET /pay/{reference}`` (the page), ``POST …/pay`` and ``POST …/decline``."""
    router = APIRouter(tags=["fincra checkout"])
    config = sandbox.config

    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    async def load(session: AsyncSession, reference: str) -> Checkout:
        checkout = await checkouts.by_reference(session, reference, for_update=True)
        if checkout is None:
            raise not_found("Checkout not found")
        return checkout

    def render(checkout: Checkout) -> str:
        merchant = config.by_business_id(checkout.business_id)
        link = f"{config.public_base_url.rstrip('/')}/pay/{checkout.reference}"
        if checkout.status == "success":
            message = checkout.success_message or _MESSAGES["success"]
            body = f"<p><b>{html.escape(message)}</b></p>"
        else:
            body = buttons(
                [(f"{link}/decline", "decline", "Decline"), (f"{link}/pay", "pay", "Pay")]
            )
            if checkout.status == "failed":
                body = f"<p><b>{_MESSAGES['failed']}</b></p>" + body
        amount = to_major(checkouts.charged(checkout), checkout.currency)
        customer = html.escape(checkout.customer_email or checkout.customer_name)
        return hosted_page(
            title="Fincra sandbox checkout",
            background="#f4f2fb",
            accent="#5a31f4",
            heading=html.escape(merchant.business_name if merchant else "Fincra merchant"),
            amount=f"{html.escape(checkout.currency)} {amount:,.2f}",
            details=f"Paying as <b>{customer}</b><br>"
            f"Reference: <code>{html.escape(checkout.merchant_reference)}</code>",
            body=body,
        )

    def answer(request: Request, checkout: Checkout) -> Response:
        redirect = _redirect_url(checkout)
        if wants_html(request):
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
            return missing_page("checkout link")
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
