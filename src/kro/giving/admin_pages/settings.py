"""``/admin/giving/settings``: the default tip and minimum donation in force, their history,
and the form to change them (a fresh authenticator code). Thin: :mod:`kro.giving.config`, as
``PUT /v1/admin/giving/settings``."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.giving import config
from kro.giving.schemas import TermsIn
from kro.identity.dependencies import AppSettings, ClientIp
from kro.kit.deps import DbSession
from kro.settings import Settings
from kro.web.dependencies import PageAdmin
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["admin giving pages"])
PAGE = "/admin/giving/settings"


async def _page(
    request: Request, session: AsyncSession, settings: Settings, form: Form | None = None
) -> Response:
    ctx = form.context() if form else {}
    return render(
        request,
        "giving/admin_settings.html",
        {
            **ctx,
            "in_force": await config.current(session, settings),
            "history": await config.history(session),
        },
        status=form.status if form else 200,
    )


@router.get(PAGE)
async def terms(
    request: Request, viewer: PageAdmin, session: DbSession, settings: AppSettings
) -> Response:
    return await _page(request, session, settings)


@router.post(PAGE)
async def change(
    request: Request, viewer: PageAdmin, session: DbSession, settings: AppSettings, ip: ClientIp
) -> Response:
    """The tip in basis points, the minimum in naira, a note, the authenticator code."""
    form = await read_form(request)
    minimum = form.amount("min_donation")
    body = form.parse(
        TermsIn,
        {
            "default_tip_bps": form["default_tip_bps"],
            "min_donation": minimum,
            "note": form["note"] or None,
            "totp_code": form["totp_code"] or None,
        },
    )
    if body is not None:
        terms = config.Terms(body.default_tip_bps, body.min_donation)
        async with form.saving(session, field="totp_code"):
            await config.change(session, viewer, terms, body.note, totp_code=body.totp_code, ip=ip)
    if not form.ok:
        return await _page(request, session, settings, form)
    return redirect(request, PAGE, message="New terms in force for new donations.")
