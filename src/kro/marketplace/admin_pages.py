"""The admin console's marketplace pages: ``/admin/market`` (services waiting for review —
approve, reject with a reason —; listed services to suspend, the service or its whole
seller; suspended services and sellers to reinstate), ``/admin/market/categories`` (the
tree: add, rename, move, commission; the money terms in force) and
``/admin/market/reports`` (orders paid, GMV and fees per Lagos day). Thin: each form calls
the function the admin JSON API calls, its errors shown in place."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.admin_pages import add_tile
from kro.identity.dependencies import AppSettings, ClientIp
from kro.kit.deps import DbSession
from kro.marketplace import catalog, moderation, reports, terms
from kro.marketplace.admin_endpoints import admin_fees
from kro.marketplace.errors import ReasonRequired
from kro.marketplace.models import Service
from kro.marketplace.schemas import CategoryIn, CategoryOut, CategoryUpdateIn, ServiceOut, TermsIn
from kro.settings import Settings
from kro.web import navigation
from kro.web.dependencies import PageAdmin
from kro.web.forms import Form, read_form
from kro.web.reports import per_day_page
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["admin marketplace pages"])
navigation.add("admin", "Marketplace", "/admin/market", order=55)
HOME = "/admin/market"
CATEGORIES = "/admin/market/categories"
REPORTS = "/admin/market/reports"


async def count_pending(session: AsyncSession) -> int:
    """Services waiting for review."""
    stmt = select(func.count()).select_from(Service).where(Service.status == "pending_review")
    return int((await session.execute(stmt)).scalar_one())


add_tile("Marketplace: services to review", HOME, count_pending, order=35)


async def _home(request: Request, session: AsyncSession, form: Form | None = None) -> Response:
    ctx = form.context() if form else {"values": {}, "errors": {}, "form_error": None}

    async def listed(status: str) -> list[ServiceOut]:
        return [ServiceOut.of(s) for s in await moderation.queue(session, status, limit=50)]

    return render(
        request,
        "marketplace/admin_market.html",
        {
            **ctx,
            "review": await listed("pending_review"),
            "active": await listed("active"),
            "suspended": await listed("suspended"),
            "sellers": await moderation.suspended_sellers(session),
        },
        status=form.status if form else 200,
    )


@router.get(HOME)
async def home(request: Request, viewer: PageAdmin, session: DbSession) -> Response:
    return await _home(request, session)


@router.post(HOME + "/services/{service_id}/{decision}")
async def decide(
    request: Request,
    service_id: str,
    decision: str,
    viewer: PageAdmin,
    session: DbSession,
    ip: ClientIp,
) -> Response:
    """approve | reject | suspend | reinstate, as ``POST /v1/admin/marketplace/services/…``;
    ``suspend_seller`` suspends the service's seller (``POST …/sellers/{id}/suspend``)."""
    form = await read_form(request)
    reason = form["reason"] or None
    async with form.saving(session, field="reason"):
        if decision in ("reject", "suspend", "suspend_seller") and not reason:
            raise ReasonRequired(details={"field": "reason"})
        if decision == "suspend_seller":
            service = await session.get(Service, service_id)
            if service is not None:
                await moderation.suspend_seller(
                    session, viewer, service.seller_id, reason or "", ip
                )
        elif decision in moderation.DECISIONS:
            await moderation.decide(session, viewer, service_id, decision, reason, ip)
        else:
            form.error("decision", "unknown_action", "No such decision.", status=404)
    if not form.ok:
        return await _home(request, session, form)
    return redirect(request, HOME, message=f"Done: {decision.replace('_', ' ')}.")


@router.post(HOME + "/sellers/{seller_id}/reinstate")
async def reinstate_seller(
    request: Request, seller_id: str, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """As ``POST /v1/admin/marketplace/sellers/{id}/reinstate``."""
    form = await read_form(request)
    async with form.saving(session):
        await moderation.lift_seller(session, viewer, seller_id, ip)
    if not form.ok:
        return await _home(request, session, form)
    return redirect(request, HOME, message="The seller may list again.")


async def _categories(
    request: Request, session: AsyncSession, settings: Settings, form: Form | None = None
) -> Response:
    ctx = form.context() if form else {"values": {}, "errors": {}, "form_error": None}
    rows = await catalog.categories(session)
    return render(
        request,
        "marketplace/admin_categories.html",
        {
            **ctx,
            "tree": _tree([CategoryOut.of(c) for c in rows]),
            "options": [("", "— top level —"), *[(c.id, c.name) for c in rows]],
            "fees": await admin_fees(session, settings),
        },
        status=form.status if form else 200,
    )


def _tree(rows: list[CategoryOut]) -> list[tuple[int, CategoryOut]]:
    """(depth, category) in tree order, children under their parent by name."""
    children: dict[str | None, list[CategoryOut]] = {}
    for c in rows:
        children.setdefault(c.parent_id, []).append(c)
    out: list[tuple[int, CategoryOut]] = []

    def walk(parent: str | None, depth: int) -> None:
        for c in children.get(parent, []):
            out.append((depth, c))
            walk(c.id, depth + 1)

    walk(None, 0)
    return out


@router.get(CATEGORIES)
async def categories(
    request: Request, viewer: PageAdmin, session: DbSession, settings: AppSettings
) -> Response:
    return await _categories(request, session, settings)


def _commission(form: Form) -> str | None:
    return form["commission_bps"] or None


@router.post(CATEGORIES)
async def create_category(
    request: Request, viewer: PageAdmin, session: DbSession, settings: AppSettings
) -> Response:
    """As ``POST /v1/admin/marketplace/categories``."""
    form = await read_form(request)
    values = {"name": form["name"], "parent_id": form["parent_id"] or None}
    body = form.parse(CategoryIn, {**values, "commission_bps": _commission(form)})
    if body is not None:
        async with form.saving(session):
            await catalog.create_category(session, body.name, body.parent_id, body.commission_bps)
    if not form.ok:
        return await _categories(request, session, settings, form)
    return redirect(request, CATEGORIES, message="Category added.")


@router.post(CATEGORIES + "/{category_id}")
async def update_category(
    request: Request,
    category_id: str,
    viewer: PageAdmin,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """As ``PUT /v1/admin/marketplace/categories/{id}``."""
    form = await read_form(request)
    values = {"name": form["name"], "parent_id": form["parent_id"] or None}
    body = form.parse(CategoryUpdateIn, {**values, "commission_bps": _commission(form)})
    if body is not None:
        async with form.saving(session):
            await catalog.update_category(
                session, category_id, body.name, body.parent_id, body.commission_bps
            )
    if not form.ok:
        return await _categories(request, session, settings, form)
    return redirect(request, CATEGORIES, message="Category saved.")


@router.post(HOME + "/terms")
async def change_terms(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Response:
    """As ``PUT /v1/admin/marketplace/fees`` (basis points; the fee's minimum and cap in
    naira; a fresh authenticator code)."""
    form = await read_form(request)
    minimum, cap = form.amount("service_fee_min"), form.amount("service_fee_cap")
    names = ("service_fee_bps", "tip_commission_bps", "totp_code", "note")
    raw = {name: form[name] or None for name in names}
    # "default_commission_bps" on the page: the category form beside it has "commission_bps"
    raw["commission_bps"] = form["default_commission_bps"] or None
    body = form.parse(TermsIn, {**raw, "service_fee_min": minimum, "service_fee_cap": cap})
    if body is not None and minimum is not None and cap is not None:
        async with form.saving(session, field="totp_code"):
            await terms.change(
                session, viewer, body.to_terms(), body.note, totp_code=body.totp_code, ip=ip
            )
    if not form.ok:
        return await _categories(request, session, settings, form)
    return redirect(request, CATEGORIES, message="New terms in force for what is placed now.")


@router.get(REPORTS)
async def per_day(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    start: Annotated[date | None, Query()] = None,
    end: Annotated[date | None, Query()] = None,
) -> Response:
    """Orders paid, GMV and fees per Lagos day (the last 30 days by default)."""
    return await per_day_page(
        request,
        "marketplace/admin_reports.html",
        start,
        end,
        lambda first, last: reports.per_day(session, first, last),
        reports.grand_total,
    )
