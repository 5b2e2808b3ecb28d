"""The admin console's escrow orders with their disputes (thread, evidence, resolve with
TOTP), fee configuration with history, condition templates.

Thin: each page calls the function the admin JSON API (:mod:`kro.escrow.admin_endpoints`)
calls — :mod:`kro.escrow.disputes` for orders and resolutions (on the core
:mod:`kro.disputes`, whose ``/admin/disputes`` lists every product's disputes),
:mod:`kro.escrow.catalog` for fees and templates — with the same errors beside the same
fields. Amounts are typed in naira and carried in kobo.
"""

from __future__ import annotations

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.disputes import pages as dispute_pages
from kro.escrow import catalog, disputes, service, states
from kro.escrow.fees import FeePolicy
from kro.escrow.schemas import FeeIn, OrderOut, ResolveIn, TemplateIn
from kro.identity import service as identity
from kro.identity.admin_pages import add_tile
from kro.identity.dependencies import AppSettings, ClientIp
from kro.identity.models import User
from kro.kit.deps import DbSession, FileStorage
from kro.kit.money import to_major
from kro.settings import Settings
from kro.web import navigation
from kro.web.dependencies import PageAdmin
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["admin escrow pages"])
navigation.add("admin", "Orders", "/admin/orders", order=20)
navigation.add("admin", "Fees", "/admin/fees", order=40)
navigation.add("admin", "Templates", "/admin/condition-templates", order=45)
add_tile("Open issues and disputes", "/admin/orders?status=open", disputes.count_open, order=10)

OPEN = "open"  # the filter for issues and disputes waiting for a resolution
STATUS_FILTERS = [
    ("", "Every status"),
    (OPEN, "Open issues and disputes"),
    *[(s, s.replace("_", " ").capitalize()) for s in sorted(states.ORDER.states())],
]


def admin_order_url(order_id: str) -> str:
    return f"/admin/orders/{order_id}"


# -- Orders and disputes -----------------------------------------------------------------------


@router.get("/admin/orders")
async def orders(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    status: str = Query("", max_length=16),
    user_id: str = Query("", max_length=32),
    before: str = Query("", max_length=32),
) -> Response:
    """Every order by status and/or party (as ``GET /v1/admin/escrow/orders``), 50 a page."""
    statuses = sorted(disputes.OPEN) if status == OPEN else [status] if status else []
    rows = await disputes.search_orders(
        session, statuses=statuses, user_id=user_id or None, limit=50, before=before or None
    )
    older = None
    if len(rows) == 50:
        older = f"/admin/orders?status={status}&user_id={user_id}&before={rows[-1].id}"
    ctx = {
        "orders": rows,
        "status": status,
        "user_id": user_id,
        "filters": STATUS_FILTERS,
        "older": older,
    }
    return render(request, "escrow/admin/orders.html", ctx)


async def _order_page(
    request: Request, session: AsyncSession, viewer: User, order_id: str, form: Form | None = None
) -> Response:
    view = await disputes.admin_view(session, order_id)
    order = OrderOut.of(view, viewer.id)
    ctx = form.context() if form else {"values": {"outcome": "split"}}
    return render(
        request,
        "escrow/admin/order.html",
        {
            **ctx,
            "order": order,
            "buyer": await identity.get_user(session, order.buyer_id),
            "seller": await identity.get_user(session, order.seller_id),
            "thread": await disputes.admin_thread(session, order_id),
            "open": order.status in disputes.OPEN,
            "outcomes": list(disputes.OUTCOMES),
            "order_disputes": await disputes.order_disputes(session, order_id),
        },
        status=form.status if form else 200,
    )


@router.get("/admin/orders/{order_id}")
async def order_page(
    request: Request, order_id: str, viewer: PageAdmin, session: DbSession
) -> Response:
    """Any order: amounts, conditions, timeline, payment and refunds, the issue and dispute
    thread with its evidence, and (while an issue or dispute is open) the resolution form."""
    return await _order_page(request, session, viewer, order_id)


@router.get("/admin/orders/{order_id}/messages/{message_id}/evidence")
async def evidence(
    order_id: str, message_id: str, viewer: PageAdmin, session: DbSession, storage: FileStorage
) -> Response:
    """A file a party attached to the thread, as a download (never shown inline)."""
    message, data = await disputes.admin_evidence_file(session, storage, order_id, message_id)
    return dispute_pages.download(message, data)


@router.post("/admin/orders/{order_id}/resolve")
async def resolve(
    request: Request, order_id: str, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """Release, refund or split (as ``POST /v1/admin/escrow/orders/{id}/resolve``), with a
    fresh TOTP code in the same form; the seller's share of a split is typed in naira."""
    form, body = await dispute_pages.read_resolution(request, ResolveIn, "NGN")
    if body is not None:
        async with form.saving(session):
            await disputes.resolve_with_totp(
                session,
                viewer,
                order_id,
                body.outcome,
                body.note,
                totp_code=body.totp_code,
                seller_amount=body.seller_amount,
                ip=ip,
            )
    if not form.ok:
        return await _order_page(request, session, viewer, order_id, form)
    return redirect(request, admin_order_url(order_id), message="The dispute is resolved.")


# -- Fees --------------------------------------------------------------------------------------


def _fee_values(policy: FeePolicy, currency: str = "NGN") -> dict[str, str]:
    """The form prefilled with the fee in force (amounts in naira, as typed)."""
    return {
        "percent_bps": str(policy.percent_bps),
        "flat": f"{to_major(policy.flat, currency):f}",
        "cap": f"{to_major(policy.cap, currency):f}",
        "payer": policy.payer,
    }


async def _fees_page(
    request: Request, session: AsyncSession, settings: Settings, form: Form | None = None
) -> Response:
    in_force = await catalog.current_fee_policy(session, service.default_fee_policy(settings))
    ctx = form.context() if form else {"values": _fee_values(in_force)}
    return render(
        request,
        "escrow/admin/fees.html",
        {**ctx, "in_force": in_force, "history": await catalog.fee_history(session)},
        status=form.status if form else 200,
    )


@router.get("/admin/fees")
async def fees(
    request: Request, viewer: PageAdmin, session: DbSession, settings: AppSettings
) -> Response:
    """The fee in force on new orders, its history, and the form to change it."""
    return await _fees_page(request, session, settings)


@router.post("/admin/fees")
async def change_fees(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Response:
    """A new fee for orders created from now on (as ``PUT /v1/admin/escrow/fees``), with a
    fresh TOTP code."""
    form = await read_form(request)
    body = form.parse(
        FeeIn,
        {
            "percent_bps": form["percent_bps"],
            "flat": form.amount("flat"),
            "cap": form.amount("cap"),
            "payer": form["payer"],
            "note": form["note"] or None,
            "totp_code": form["totp_code"],
        },
    )
    if body is not None:
        policy = FeePolicy(body.percent_bps, body.flat, body.cap, body.payer)
        async with form.saving(session):
            await catalog.change_fees(
                session, viewer, policy, body.note, totp_code=body.totp_code, ip=ip
            )
    if not form.ok:
        return await _fees_page(request, session, settings, form)
    return redirect(request, "/admin/fees", message="The new fee applies to new orders.")


# -- Condition templates -----------------------------------------------------------------------


async def _templates_page(
    request: Request, session: AsyncSession, form: Form | None = None
) -> Response:
    rows = await catalog.templates(session, include_inactive=True)
    ctx = form.context() if form else {}
    return render(
        request,
        "escrow/admin/templates.html",
        {**ctx, "templates": rows},
        status=form.status if form else 200,
    )


@router.get("/admin/condition-templates")
async def templates(request: Request, viewer: PageAdmin, session: DbSession) -> Response:
    """Ready-made conditions buyers can pick, retired ones included."""
    return await _templates_page(request, session)


@router.post("/admin/condition-templates")
async def add_template(
    request: Request, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """Offer buyers a new condition (as ``POST /v1/admin/escrow/condition-templates``)."""
    form = await read_form(request)
    body = form.parse(
        TemplateIn, {"description": form["description"], "category": form["category"] or None}
    )
    if body is not None:
        async with form.saving(session):
            await catalog.add_template(session, viewer, body.description, body.category, ip=ip)
    if not form.ok:
        return await _templates_page(request, session, form)
    return redirect(request, "/admin/condition-templates", message="Buyers can now pick it.")


@router.post("/admin/condition-templates/{template_id}/retire")
async def retire_template(
    request: Request, template_id: str, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """Stop offering a template (as ``DELETE …/condition-templates/{id}``); orders that used
    it keep their text."""
    await catalog.retire_template(session, viewer, template_id, ip=ip)
    return redirect(request, "/admin/condition-templates", message="Buyers no longer see it.")
