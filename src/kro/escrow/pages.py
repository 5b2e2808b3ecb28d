"""The user app's orders (seed 001): my orders as buyer and as seller, a new order with its
conditions, and the order page — accept or decline, pay (card checkout, wallet, bank
transfer), start, complete, fulfil conditions, report an issue, messages and evidence,
escalate, release. Thin: each handler calls the function the JSON endpoint calls
(:mod:`kro.escrow.service`, :mod:`kro.escrow.disputes`) and shows its errors in place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import File, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.disputes import pages as dispute_pages
from kro.escrow import catalog, disputes, service, states
from kro.escrow.endpoints import EVIDENCE_TYPES
from kro.escrow.errors import FileTooLarge, UnsupportedFileType
from kro.escrow.schemas import OrderIn, OrderOut, PayIn
from kro.identity import service as identity
from kro.identity.dependencies import AppSettings
from kro.identity.models import User
from kro.kit.deps import DbSession, FileStorage
from kro.kit.errors import NotFound
from kro.payments import states as pay_states
from kro.web import navigation
from kro.web.dependencies import PageUser
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["escrow pages"])
navigation.add("app", "Orders", "/orders", order=10)
navigation.add("app", "New order", "/orders/new", order=20)

# The seller's and buyer's simple moves: POST /orders/{id}/{action}.
SIMPLE_ACTIONS = {
    "accept": "You accepted the order. The buyer can pay now.",
    "decline": "You declined the order.",
    "cancel": "The order is cancelled.",
    "start": "You started the work.",
    "complete": "You marked the work completed. The buyer is inspecting it.",
}
# report_issue, post_message, escalate: (session, user, order_id, text) → …
TextAction = Callable[[AsyncSession, User, str, str], Awaitable[object]]
THREAD_STATES = frozenset({states.ISSUE_REPORTED, states.DISPUTED})
PAGE_SIZE = 20


def order_url(order_id: str) -> str:
    return f"/orders/{order_id}"


@router.get("/orders")
async def orders(
    request: Request,
    viewer: PageUser,
    session: DbSession,
    before: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """My orders, newest first, as buyer and as seller (live: reloads when one changes)."""
    rows = await service.list_orders(session, viewer, limit=PAGE_SIZE + 1, before=before)
    page = rows[:PAGE_SIZE]
    more = f"/orders?before={page[-1].id}" if len(rows) > PAGE_SIZE else None
    request.state.realtime = "orders"
    return render(
        request,
        "escrow/orders.html",
        {"orders": page, "next_url": more, "viewer_id": viewer.id},
    )


async def _new_order_context(session: DbSession, form: Form | None = None) -> dict[str, object]:
    ctx = form.context() if form else {}
    return {**ctx, "templates": await catalog.templates(session)}


@router.get("/orders/new")
async def new_order(request: Request, viewer: PageUser, session: DbSession) -> Response:
    return render(request, "escrow/new_order.html", await _new_order_context(session))


@router.post("/orders/new")
async def create_order(
    request: Request, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    """As ``POST /v1/escrow/orders``: conditions are the lines of ``conditions`` plus the
    ticked templates; the amount is typed in naira."""
    form = await read_form(request)
    template_ids = [t for t in (await request.form()).getlist("template_id") if isinstance(t, str)]
    conditions = [{"description": line} for line in form.getlist("conditions")]
    conditions += [{"template_id": t} for t in template_ids]
    body = form.parse(
        OrderIn,
        {
            "seller_email": form["seller_email"],
            "title": form["title"],
            "description": form["description"] or None,
            "amount": form.amount("amount"),
            "currency": "NGN",
            "conditions": conditions,
            "inspection_days": form["inspection_days"] or "3",
        },
    )
    order = None
    if body is not None:
        async with form.saving(session):
            order = await service.place_order(session, settings, viewer, *body.to_order())
    if order is None or not form.ok:
        ctx = await _new_order_context(session, form)
        return render(request, "escrow/new_order.html", ctx, status=form.status)
    return redirect(request, order_url(order.id), message="Order created. We told the seller.")


async def _order_page(
    request: Request, session: DbSession, viewer: User, order_id: str, form: Form | None = None
) -> Response:
    view = await service.get_order(session, viewer, order_id)
    order = OrderOut.of(view, viewer.id)
    role = "buyer" if viewer.id == order.buyer_id else "seller"
    other = await identity.get_user(session, order.seller_id if role == "buyer" else order.buyer_id)
    thread = await disputes.messages(session, viewer, order_id)
    request.state.realtime = f"order:{order.id}"
    request.state.realtime_status = order.status
    ctx = form.context() if form else {}
    return render(
        request,
        "escrow/order.html",
        {
            **ctx,
            "order": order,
            "payment": view.payment,
            "payment_open": view.payment is not None and view.payment.status in pay_states.OPEN,
            "role": role,
            "other": other,
            "actions": states.available(order.status, role),
            "thread": thread,
            "thread_open": order.status in THREAD_STATES,
        },
        status=form.status if form else 200,
    )


@router.get("/orders/{order_id}")
async def order_page(
    request: Request, order_id: str, viewer: PageUser, session: DbSession
) -> Response:
    """The order as its buyer or seller sees it; anyone else gets the 404 page."""
    return await _order_page(request, session, viewer, order_id)


@router.post("/orders/{order_id}/pay")
async def pay(
    request: Request, order_id: str, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    """As ``POST …/pay``: ``card`` goes to the hosted checkout and comes back here;
    ``wallet`` funds the order now; ``bank_transfer`` shows the account to pay into."""
    form = await read_form(request)
    body = form.parse(PayIn, {"method": form["method"] or "card"})
    payment = None
    if body is not None:
        async with form.saving(session, field="method"):
            payment = await service.start_payment(
                session,
                settings,
                viewer,
                order_id,
                f"{settings.base_url}{order_url(order_id)}",
                body.method,
            )
    if payment is None or not form.ok:
        return await _order_page(request, session, viewer, order_id, form)
    if body is not None and body.method == "card" and payment.authorization_url:
        return RedirectResponse(payment.authorization_url, status_code=303)
    message = (
        "Paid from your wallet. The money is held in escrow."
        if body is not None and body.method == "wallet"
        else "Transfer the amount to the account below."
    )
    return redirect(request, order_url(order_id), message=message)


@router.post("/orders/{order_id}/conditions/{condition_id}/fulfil")
async def fulfil(
    request: Request, order_id: str, condition_id: str, viewer: PageUser, session: DbSession
) -> Response:
    """The buyer ticks a condition; the last one releases the money to the seller."""
    form = await read_form(request)
    async with form.saving(session):
        await service.fulfil_condition(session, viewer, order_id, condition_id)
    if not form.ok:
        return await _order_page(request, session, viewer, order_id, form)
    return redirect(request, order_url(order_id), message="Condition marked as met.")


@router.post("/orders/{order_id}/issue")
async def report_issue(
    request: Request, order_id: str, viewer: PageUser, session: DbSession
) -> Response:
    """The buyer reports a problem; the inspection period stops."""
    return await _with_text(
        request, session, viewer, order_id, "issue", disputes.report_issue, "Issue reported."
    )


@router.post("/orders/{order_id}/messages")
async def post_message(
    request: Request, order_id: str, viewer: PageUser, session: DbSession
) -> Response:
    return await _with_text(
        request, session, viewer, order_id, "message", disputes.post_message, "Message sent."
    )


@router.post("/orders/{order_id}/escalate")
async def escalate(
    request: Request, order_id: str, viewer: PageUser, session: DbSession
) -> Response:
    return await _with_text(
        request,
        session,
        viewer,
        order_id,
        "reason",
        disputes.escalate,
        "Escalated to a dispute. Our team will review it.",
    )


async def _with_text(
    request: Request,
    session: DbSession,
    viewer: User,
    order_id: str,
    field: str,
    use_case: TextAction,
    done: str,
) -> Response:
    form = await read_form(request)
    if not form[field]:
        form.error(field, "validation_error", "Write a few words first.")
    if form.ok:
        async with form.saving(session, field=field):
            await use_case(session, viewer, order_id, form[field])
    if not form.ok:
        return await _order_page(request, session, viewer, order_id, form)
    return redirect(request, order_url(order_id), message=done)


@router.post("/orders/{order_id}/release")
async def release(
    request: Request, order_id: str, viewer: PageUser, session: DbSession
) -> Response:
    """The buyer releases the money although an issue is open."""
    form = await read_form(request)
    async with form.saving(session):
        await disputes.buyer_release(session, viewer, order_id)
    if not form.ok:
        return await _order_page(request, session, viewer, order_id, form)
    return redirect(request, order_url(order_id), message="Money released to the seller.")


@router.post("/orders/{order_id}/evidence")
async def upload_evidence(
    request: Request,
    order_id: str,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
    storage: FileStorage,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Attach a photo, PDF or text file to the open issue (limits as the API's)."""
    form = await read_form(request)
    content_type = (file.content_type or "").split(";")[0].strip()
    data = await file.read(settings.evidence_max_bytes + 1)
    if not form["note"]:
        form.error("note", "validation_error", "Say what the file shows.")
    if content_type not in EVIDENCE_TYPES:
        form.fail(UnsupportedFileType(details={"field": "file"}))
    elif len(data) > settings.evidence_max_bytes:
        form.fail(FileTooLarge(details={"field": "file"}))
    if form.ok:
        async with form.saving(session, field="file"):
            await disputes.attach_evidence(
                session,
                storage,
                viewer,
                order_id,
                form["note"],
                file.filename or "evidence",
                content_type,
                data,
            )
    if not form.ok:
        return await _order_page(request, session, viewer, order_id, form)
    return redirect(request, order_url(order_id), message="File attached.")


@router.get("/orders/{order_id}/messages/{message_id}/evidence")
async def evidence(
    order_id: str, message_id: str, viewer: PageUser, session: DbSession, storage: FileStorage
) -> Response:
    """The attached file (parties only)."""
    message, data = await disputes.evidence_file(session, storage, viewer, order_id, message_id)
    return dispute_pages.download(message, data)


@router.post("/orders/{order_id}/{action}")
async def act(
    request: Request,
    order_id: str,
    action: str,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """accept, decline, cancel, start, complete (as the JSON endpoints of the same names)."""
    form = await read_form(request)
    if action not in SIMPLE_ACTIONS:
        raise NotFound(f"There is no action {action!r} on an order.", code="not_found")
    expiry = timedelta(seconds=settings.escrow_order_expiry)
    async with form.saving(session):
        await service.act(session, viewer, order_id, action, expires_in=expiry)
    if not form.ok:
        return await _order_page(request, session, viewer, order_id, form)
    return redirect(request, order_url(order_id), message=SIMPLE_ACTIONS[action])
