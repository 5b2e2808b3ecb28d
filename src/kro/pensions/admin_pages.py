"""The admin console's Pencom page (``/admin/pensions``): remittances past their deadline
with their penalties, schedules by status (``?status=``), employers with their coverage, and
issued compliance certificates, each revocable with a reason (beside that certificate's form
when the reason is missing). Thin: each handler calls :mod:`kro.pensions.oversight`."""

from __future__ import annotations

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.admin_pages import add_tile
from kro.identity.dependencies import AppSettings, ClientIp
from kro.kit.deps import DbSession
from kro.pensions import oversight, states
from kro.pensions.schemas import RevokeIn
from kro.settings import Settings
from kro.web import navigation
from kro.web.dependencies import PageAdmin
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["admin pensions pages"])
navigation.add("admin", "Pensions", "/admin/pensions", order=60)
HOME = "/admin/pensions"
add_tile("Pensions: unpaid past the deadline", HOME, oversight.count_unpaid_late, order=40)


async def _page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    status: str,
    form: Form | None = None,
    failed: str | None = None,
) -> Response:
    context = {
        "late": await oversight.late_remittances(session, settings),
        "counts": await oversight.schedule_counts(session),
        "status": status,
        "schedules": await oversight.schedules_in(session, status),
        "employers": await oversight.employers_overview(session, settings),
        "certificates": await oversight.certificates(session),
        "failed": failed,
    }
    if form is None:
        return render(request, "pensions/admin.html", {**context, "values": {}, "errors": {}})
    return render(request, "pensions/admin.html", form.context(**context), status=form.status)


@router.get(HOME)
async def admin_home(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    settings: AppSettings,
    status: str = Query(states.SUBMITTED, pattern="^[a-z]{1,16}$"),
) -> Response:
    return await _page(request, session, settings, status)


@router.post(HOME + "/certificates/{certificate_id}/revoke")
async def revoke(
    certificate_id: str,
    request: Request,
    viewer: PageAdmin,
    ip: ClientIp,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """Revoke a certificate with a reason; its public verification page then says so."""
    form = await read_form(request)
    body = form.parse(RevokeIn)
    if body is not None:
        async with form.saving(session):
            found, _ = await oversight.revoke_certificate(
                session, viewer, certificate_id, body.reason, ip=ip
            )
    if not form.ok:
        return await _page(request, session, settings, states.SUBMITTED, form, certificate_id)
    return redirect(request, HOME, message=f"Certificate {found.number} revoked.")
