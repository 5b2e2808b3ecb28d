"""The marketplace's pages: browse and search (``/market``), a service page with its
packages and extras (order one), the order workspace (``/market/orders/{id}``: pay,
requirements, deliveries, revisions, extras bought mid-order, accept, cancel, a mutual
cancellation asked and answered, tips, reviews) and the seller studio (``/studio``: services,
a new service, orders, earnings with pending clearance; withdrawals are the wallet's pages).
Thin: each handler calls the service function its JSON endpoint calls and shows its errors
in place; another user's order is the 404 page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from kro.conversations.schemas import MessageIn, MessageOut
from kro.identity.dependencies import AppSettings
from kro.identity.models import User
from kro.kit.deps import DbSession
from kro.kyc import service as kyc
from kro.marketplace import (
    cancellation,
    catalog,
    disputes,
    extras,
    money,
    orders,
    purchases,
    reviews,
    sellers,
    states,
)
from kro.marketplace.models import SellerProfile, Service
from kro.marketplace.schemas import (
    BuyExtraIn,
    CancellationIn,
    DeliveryIn,
    DisputeIn,
    ExtraOut,
    OrderOut,
    OrderSummaryOut,
    PackageIn,
    RequirementsIn,
    ReviewIn,
    ReviewOut,
    SellerOut,
    ServiceIn,
    ServiceOut,
    TipIn,
)
from kro.web import navigation
from kro.web.dependencies import OptionalViewer, PageUser
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["marketplace pages"])
navigation.add("app", "Market", "/market", order=30)
navigation.add("app", "Studio", "/studio", order=40)

PAGE_SIZE = 20


def order_url(order_id: str) -> str:
    return f"/market/orders/{order_id}"


@router.get("/market")
async def browse(
    request: Request,
    viewer: OptionalViewer,
    session: DbSession,
    q: Annotated[str, Query(max_length=200)] = "",
    category_id: Annotated[str | None, Query(max_length=32)] = None,
    sort: Annotated[str, Query(pattern="^(relevance|rating|price|newest)$")] = "relevance",
    cursor: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    """Search and browse active services (as ``GET /v1/marketplace/services``)."""
    query = catalog.Query(
        text=q, category_id=category_id or None, sort=sort, limit=PAGE_SIZE, cursor=cursor
    )
    rows, more = await catalog.search(session, query)
    params = f"q={q}&sort={sort}&category_id={category_id or ''}"
    return render(
        request,
        "marketplace/browse.html",
        {
            "services": [ServiceOut.of(s) for s in rows],
            "categories": await catalog.categories(session),
            "q": q,
            "category_id": category_id or "",
            "sort": sort,
            "next_url": f"/market?{params}&cursor={more}" if more else None,
        },
    )


@router.get("/market/services/{service_id}")
async def service_page(
    request: Request, service_id: str, viewer: OptionalViewer, session: DbSession
) -> Response:
    """An active service: packages, rating, published reviews; order a package."""
    service = await catalog.get_public(session, service_id)
    out = await ServiceOut.load(session, service)
    shown = [ReviewOut.of(r) for r in await reviews.for_service(session, service.id)]
    own = viewer is not None and viewer.id == service.seller_id
    profile = await session.get(SellerProfile, service.seller_id)
    seller = (
        SellerOut.of(profile, await sellers.stats(session, service.seller_id)) if profile else None
    )
    return render(
        request,
        "marketplace/service.html",
        {
            "service": out,
            "reviews": shown,
            "own": own,
            "signed_in": viewer is not None,
            "seller": seller,
        },
    )


@router.post("/market/services/{service_id}/order")
async def place_order(
    request: Request,
    service_id: str,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """As ``POST /v1/marketplace/orders`` (the extras ticked: ``extra_<id>`` fields); then
    the order page, where the buyer pays."""
    form = await read_form(request)
    order = None
    chosen = [k.removeprefix("extra_") for k in form.values if k.startswith("extra_")]
    async with form.saving(session):
        order = await orders.place_order(
            session, settings, viewer, service_id, form["package_id"], chosen[:10]
        )
    if order is None or not form.ok:
        return redirect(request, f"/market/services/{service_id}", message=_first_error(form))
    return redirect(request, order_url(order.id), message="Order placed. Pay to start it.")


def _first_error(form: Form) -> str:
    return next((e.message for e in form.errors.values()), "Something went wrong.")


@router.get("/market/orders")
async def my_orders(
    request: Request,
    viewer: PageUser,
    session: DbSession,
    before: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """My marketplace orders, as buyer and as seller, newest first."""
    rows = await orders.list_orders(session, viewer, limit=PAGE_SIZE + 1, before=before)
    page = rows[:PAGE_SIZE]
    more = f"/market/orders?before={page[-1].id}" if len(rows) > PAGE_SIZE else None
    return render(
        request,
        "marketplace/orders.html",
        {"orders": [OrderSummaryOut.of(o, viewer.id) for o in page], "next_url": more},
    )


async def _order_page(
    request: Request, session: DbSession, viewer: User, order_id: str, form: Form | None = None
) -> Response:
    order = await orders.load_for(session, viewer, order_id, lock=False)
    out = OrderOut.of(await orders.view(session, order), viewer.id)
    service = await session.get(Service, order.service_id)
    shown = [ReviewOut.of(r) for r in await reviews.for_order(session, order, viewer.id)]
    conversation_id, chat = await orders.order_messages(session, viewer, order)
    offered = [ExtraOut.of(e) for e in await extras.of_service(session, order.service_id)]
    ctx = form.context() if form else {"values": {}, "errors": {}, "form_error": None}
    request.state.realtime = f"order:{order.id}"
    request.state.realtime_status = order.status
    return render(
        request,
        "marketplace/order.html",
        {
            **ctx,
            "order": out,
            "requirements": list(service.requirements) if service else [],
            "reviews": shown,
            "reviewed": any(r.role == out.role for r in shown),
            "messages": [MessageOut.of(m, viewer.id) for m in chat],
            "conversation_id": conversation_id,
            "viewer_id": viewer.id,
            "offered_extras": offered if out.role == "buyer" and out.status in states.HELD else [],
        },
        status=form.status if form else 200,
    )


@router.get("/market/orders/{order_id}")
async def order_page(
    request: Request, order_id: str, viewer: PageUser, session: DbSession
) -> Response:
    """The order workspace as its buyer or seller sees it; anyone else: the 404 page."""
    return await _order_page(request, session, viewer, order_id)


@router.get("/market/orders/{order_id}/messages/{message_id}")
async def message_fragment(
    request: Request, order_id: str, message_id: str, viewer: PageUser, session: DbSession
) -> Response:
    """One message of the order's conversation as the ``<li>`` the order page shows
    (``realtime.js`` inserts it live); anyone else's: the 404 page."""
    order = await orders.load_for(session, viewer, order_id, lock=False)
    message = await orders.order_message(session, viewer, order_id, message_id)
    role = orders.role_of(order, viewer.id)
    return render(
        request,
        "marketplace/_message.html",
        {"m": MessageOut.of(message, viewer.id), "viewer_id": viewer.id, "role": role},
    )


@router.post("/market/orders/{order_id}/pay")
async def pay(
    request: Request, order_id: str, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    """As ``POST …/pay``: to the hosted checkout, which comes back to the order page."""
    form = await read_form(request)
    payment = None
    async with form.saving(session):
        callback = f"{settings.base_url}{order_url(order_id)}"
        payment = await orders.start_payment(session, settings, viewer, order_id, callback)
    if payment is None or not form.ok or not payment.authorization_url:
        return await _order_page(request, session, viewer, order_id, form)
    return RedirectResponse(payment.authorization_url, status_code=303)


@router.post("/market/orders/{order_id}/buy/{kind}")
async def buy(
    request: Request,
    order_id: str,
    kind: str,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """``extra`` (as ``POST …/extras``) or ``tip`` (as ``POST …/tip``, the amount in
    naira): to the hosted checkout, which comes back to the order page."""
    form = await read_form(request)
    callback = f"{settings.base_url}{order_url(order_id)}"
    payment = None
    if kind == "extra":
        pick = form.parse(BuyExtraIn, {"extra_id": form["extra_id"]})
        if pick:
            async with form.saving(session):
                _, payment = await purchases.buy_extra(
                    session, settings, viewer, order_id, pick.extra_id, callback
                )
    elif kind == "tip":
        amount = form.amount("amount")
        tip = form.parse(TipIn, {"amount": amount}) if amount is not None else None
        if tip:
            async with form.saving(session):
                _, payment = await purchases.tip(
                    session, settings, viewer, order_id, tip.amount, callback
                )
    else:
        form.error("kind", "unknown_action", "No such purchase.", status=404)
    if payment is None or not form.ok or not payment.authorization_url:
        return await _order_page(request, session, viewer, order_id, form)
    return RedirectResponse(payment.authorization_url, status_code=303)


@router.post("/market/orders/{order_id}/{action}")
async def order_action(
    request: Request,
    order_id: str,
    action: str,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """requirements | deliver | revision | message | dispute | accept | cancel | review, as their
    endpoints."""
    form = await read_form(request)
    done = ""
    async with form.saving(session):
        done = await _act(form, session, settings, viewer, order_id, action)
    if not form.ok or not done:
        return await _order_page(request, session, viewer, order_id, form)
    return redirect(request, order_url(order_id), message=done)


async def _act(
    form: Form, session: DbSession, settings: AppSettings, viewer: User, order_id: str, action: str
) -> str:
    if action == "requirements":
        answers = [form[f"answer_{i}"] for i in range(10) if f"answer_{i}" in form.values]
        body = form.parse(RequirementsIn, {"answers": answers})
        if body:
            await orders.submit_requirements(session, viewer, order_id, body.answers)
            return "Thank you. The seller has started."
    elif action in ("deliver", "revision"):
        msg = form.parse(DeliveryIn, {"message": form["message"]})
        if msg and action == "deliver":
            await orders.deliver(session, settings, viewer, order_id, msg.message)
            return "Delivered. The buyer has been told."
        if msg:
            await orders.request_revision(session, viewer, order_id, msg.message)
            return "You asked for a revision."
    elif action == "message":
        text = form.parse(MessageIn, {"body": form["body"]})
        if text:
            sent = await orders.post_message(session, viewer, order_id, text.body)
            if sent.warnings:
                return "Sent. Keep contact and payment on KRO: off-platform deals are unprotected."
            return "Message sent."
    elif action == "dispute":
        reason = form.parse(DisputeIn, {"reason": form["reason"]})
        if reason:
            await disputes.open_dispute(session, viewer, order_id, reason.reason)
            return "Dispute opened. An administrator will decide; keep talking here."
    elif action.startswith("cancellation"):
        return await _cancellation(form, session, viewer, order_id, action)
    elif action == "accept":
        await orders.accept(session, settings, viewer, order_id)
        return "Order completed. Thank you!"
    elif action == "cancel":
        await orders.cancel(session, settings, viewer, order_id)
        return "The order is cancelled."
    elif action == "review":
        review = form.parse(ReviewIn, {"rating": form["rating"], "comment": form["comment"]})
        if review:
            window = settings.marketplace_review_window
            await reviews.submit(session, viewer, order_id, review.rating, review.comment, window)
            return "Thank you for your review."
    else:
        await orders.load_for(session, viewer, order_id, lock=False)  # 404 first
        form.error("action", "unknown_action", "No such action.", status=404)
    return ""


async def _cancellation(
    form: Form, session: DbSession, viewer: User, order_id: str, action: str
) -> str:
    """cancellation (ask, with a reason) | cancellation_accept | cancellation_decline."""
    if action == "cancellation":
        # "cancel_reason" on the page: the dispute form beside it has "reason".
        body = form.parse(CancellationIn, {"reason": form["cancel_reason"]})
        if body:
            await cancellation.request(session, viewer, order_id, body.reason)
            return "You asked to cancel. The other party has 48 hours to answer."
        if "reason" in form.errors:
            form.errors["cancel_reason"] = form.errors.pop("reason")
        return ""
    if action in ("cancellation_accept", "cancellation_decline"):
        agree = action == "cancellation_accept"
        await cancellation.answer(session, viewer, order_id, agree=agree)
        return "The order is cancelled and refunded." if agree else "The order goes on."
    await orders.load_for(session, viewer, order_id, lock=False)  # 404 first
    form.error("action", "unknown_action", "No such action.", status=404)
    return ""


@router.get("/studio")
async def studio(request: Request, viewer: PageUser, session: DbSession) -> Response:
    """The seller studio: my services, orders to work on, earnings, identity status."""
    mine = await catalog.services_of(session, viewer.id)
    selling = await orders.list_orders(session, viewer, role="seller", limit=PAGE_SIZE)
    return render(
        request,
        "marketplace/studio.html",
        {
            "services": [ServiceOut.of(s) for s in mine],
            "orders": [OrderSummaryOut.of(o, viewer.id) for o in selling],
            "earnings": await money.earnings(session, viewer.id),
            "kyc_status": await kyc.status(session, viewer.id),
        },
    )


async def _new_service_page(
    request: Request, session: DbSession, form: Form | None = None
) -> Response:
    ctx = form.context() if form else {"values": {}, "errors": {}, "form_error": None}
    options = [(c.id, c.name) for c in await catalog.categories(session)]
    return render(
        request,
        "marketplace/new_service.html",
        {**ctx, "categories": options},
        status=form.status if form else 200,
    )


@router.get("/studio/services/new")
async def new_service(request: Request, viewer: PageUser, session: DbSession) -> Response:
    return await _new_service_page(request, session)


@router.post("/studio/services/new")
async def create_service(
    request: Request, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    """As ``POST /v1/marketplace/services``: one package per filled tier, prices in naira."""
    form = await read_form(request)
    packages: list[dict[str, Any]] = []
    for tier in ("basic", "standard", "premium"):
        if not form[f"{tier}_price"]:
            continue
        packages.append(
            {
                "tier": tier,
                "name": tier.title(),
                "price": form.amount(f"{tier}_price"),
                "delivery_days": form[f"{tier}_days"] or "0",
                "revisions": form[f"{tier}_revisions"] or "0",
            }
        )
    body = form.parse(
        ServiceIn,
        {
            "category_id": form["category_id"],
            "title": form["title"],
            "description": form["description"],
            "tags": [t for t in form["tags"].split(",") if t.strip()],
            "requirements": [r for r in form["requirements"].splitlines() if r.strip()],
            "packages": [PackageIn.model_validate(p).model_dump() for p in packages]
            if _packages_valid(form, packages)
            else [],
        },
    )
    service = None
    if body is not None:
        async with form.saving(session):
            service = await catalog.create_service(
                session,
                viewer.id,
                body.to_spec(),
                kyc_to_list=settings.marketplace_kyc_to_list,
                review=settings.marketplace_review_services,
            )
    if service is None or not form.ok:
        return await _new_service_page(request, session, form)
    if service.status != "active":  # waiting for an admin's review
        return redirect(request, f"/studio/services/{service.id}", message="Sent for review.")
    return redirect(request, f"/market/services/{service.id}", message="Your service is live.")


def _packages_valid(form: Form, packages: list[dict[str, Any]]) -> bool:
    """Each filled tier parses as a package; else the error goes on its price field."""
    for p in packages:
        try:
            PackageIn.model_validate(p)
        except ValueError:
            form.error(f"{p['tier']}_price", "invalid_packages", "Check this package.")
            return False
    return True


# The studio's service page and the admin console's marketplace pages ride on this router
# (app.py mounts this one).
from kro.marketplace import admin_pages, studio_pages  # noqa: E402

router.include_router(studio_pages.router)
router.include_router(admin_pages.router)
