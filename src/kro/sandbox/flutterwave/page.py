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
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.money import to_major
from kro.sandbox.common.page import buttons, hosted_page, missing_page, wants_html, with_query
from kro.sandbox.common.service import session_dependency
from kro.sandbox.flutterwave import transactions
from kro.sandbox.flutterwave.api import success
from kro.sandbox.flutterwave.errors import not_found
from kro.sandbox.flutterwave.models import Transaction

if TYPE_CHECKING:
    from kro.sandbox.flutterwave.app import FlutterwaveSandbox

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
    return with_query(t.redirect_url, query)


def build_page_router(sandbox: "FlutterwaveSandbox") -> APIRouter:
    """``GET /hosted/pay/{token}`` (the page), ``POST …/pay``, ``…/decline``, ``…/cancel``."""
    router = APIRouter(prefix="/hosted/pay", tags=["flutterwave checkout"])
    config = sandbox.config

    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    async def load(session: AsyncSession, token: str) -> Transaction:
        transaction = await transactions.by_token(session, token, for_update=True)
        if transaction is None:
            raise not_found("Invalid or expired payment link")
        return transaction

    def render(t: Transaction) -> str:
        merchant = config.by_account_id(t.account_id)
        custom = t.customizations or {}
        link = f"{config.public_base_url.rstrip('/')}/hosted/pay/{t.token}"
        if t.status == "pending":
            forms = [
                (f"{link}/{kind}", kind, kind.title()) for kind in ("cancel", "decline", "pay")
            ]
            body = buttons(forms, form_style="flex:1")
        else:
            body = f"<p><b>{_MESSAGES[t.status]}</b></p>"
        title = custom.get("title") or (merchant.business_name if merchant else "Flutterwave")
        description = html.escape(str(custom.get("description") or ""))
        return hosted_page(
            title="Flutterwave sandbox checkout",
            background="#fff8ef",
            accent="#f5a623",
            heading=html.escape(str(title)),
            amount=f"{html.escape(t.currency)} {to_major(t.amount, t.currency):,.2f}",
            details=f"{description}<br>Paying as <b>{html.escape(t.customer_email)}</b><br>\n"
            f"Reference: <code>{html.escape(t.tx_ref)}</code>",
            body=body,
            three_buttons=True,
        )

    def answer(request: Request, t: Transaction, outcome: str) -> Response:
        redirect = redirect_to(t, outcome)
        if wants_html(request):
            if redirect:
                return RedirectResponse(redirect, status_code=303)
            return HTMLResponse(render(t))
        data = {"id": t.id, "tx_ref": t.tx_ref, "status": t.status, "redirect_url": redirect}
        return success(_MESSAGES.get(outcome, outcome), data)

    @router.get("/{token}", response_class=HTMLResponse)
    async def page(token: str, session: Db) -> HTMLResponse:
        transaction = await transactions.by_token(session, token)
        if transaction is None:
            return missing_page("payment link")
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
