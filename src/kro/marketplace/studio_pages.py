"""The seller studio's page for one service (``/studio/services/{id}``): its status (and
the admin's note when rejected or suspended), its images (upload one) and its extras (add
one). Thin: the same :mod:`kro.marketplace.images` and :func:`catalog.add_extras` as
``POST /v1/marketplace/services/{id}/images`` and ``…/extras``; anyone else's service is the
404 page."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Request, UploadFile
from fastapi.responses import Response

from kro.identity.dependencies import AppSettings
from kro.identity.models import User
from kro.kit.deps import DbSession, FileStorage
from kro.marketplace import catalog, images
from kro.marketplace.schemas import ExtraIn, ServiceOut
from kro.web.dependencies import PageUser
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["marketplace pages"])


def page_url(service_id: str) -> str:
    return f"/studio/services/{service_id}"


async def _page(
    request: Request, session: DbSession, viewer: User, service_id: str, form: Form | None = None
) -> Response:
    service = await catalog.get_own(session, viewer.id, service_id)
    ctx = form.context() if form else {"values": {}, "errors": {}, "form_error": None}
    return render(
        request,
        "marketplace/studio_service.html",
        {**ctx, "service": await ServiceOut.load(session, service)},
        status=form.status if form else 200,
    )


@router.get("/studio/services/{service_id}")
async def service_page(
    request: Request, service_id: str, viewer: PageUser, session: DbSession
) -> Response:
    """One of my services: status, images, extras."""
    return await _page(request, session, viewer, service_id)


@router.post("/studio/services/{service_id}/images")
async def upload_image(
    request: Request,
    service_id: str,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
    storage: FileStorage,
    file: Annotated[UploadFile, File()],
) -> Response:
    """As ``POST /v1/marketplace/services/{id}/images``."""
    form = await read_form(request)
    limit = settings.marketplace_image_max_bytes
    data = await file.read(limit + 1)
    async with form.saving(session, field="file"):
        await images.add(session, storage, viewer.id, service_id, data, limit)
    if not form.ok:
        return await _page(request, session, viewer, service_id, form)
    return redirect(request, page_url(service_id), message="Image added.")


@router.post("/studio/services/{service_id}/extras")
async def add_extra(
    request: Request, service_id: str, viewer: PageUser, session: DbSession
) -> Response:
    """As ``POST /v1/marketplace/services/{id}/extras`` (one extra, its price in naira)."""
    form = await read_form(request)
    price = form.amount("price")
    extra = form.parse(
        ExtraIn,
        {
            "title": form["title"],
            "price": price,
            "extra_days": form["extra_days"] or "0",
            "extra_revisions": form["extra_revisions"] or "0",
        },
    )
    if extra is not None:
        async with form.saving(session, field="title"):
            await catalog.add_extras(session, viewer.id, service_id, [extra.to_spec()])
    if not form.ok:
        return await _page(request, session, viewer, service_id, form)
    return redirect(request, page_url(service_id), message="Extra added.")
