"""The pages of ``kro.kyc``: ``/kyc``, where a user submits BVN, NIN and name, uploads an
ID document and sees the status of their verification; ``/admin/kyc``, the review queue
(each case's document; approve, or reject with a reason). Thin: it calls
:func:`kro.kyc.service.submit_and_check` and :func:`kro.kyc.documents.upload`, as
``POST /v1/kyc`` and ``POST /v1/kyc/document`` do."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Request, UploadFile
from fastapi.responses import Response

from kro.identity.dependencies import AppSettings
from kro.kit.deps import DbSession, FileStorage
from kro.kyc import documents, service
from kro.kyc.endpoints import PRIVATE
from kro.kyc.schemas import KycCaseOut, KycIn, KycOut
from kro.web import navigation
from kro.web.dependencies import PageAdmin, PageUser
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["kyc pages"])
navigation.add("app", "Verify identity", "/kyc", order=80)


async def _page(request: Request, session: DbSession, user_id: str, form: Form | None) -> Response:
    case = KycOut.of(await service.get_case(session, user_id))
    ctx = form.context() if form else {"values": {}, "errors": {}, "form_error": None}
    types = [(t, t.replace("_", " ").capitalize()) for t in documents.DOCUMENT_TYPES]
    return render(
        request,
        "kyc/status.html",
        {**ctx, "case": case, "document_types": types},
        status=form.status if form else 200,
    )


@router.get("/kyc")
async def kyc_page(request: Request, viewer: PageUser, session: DbSession) -> Response:
    """The caller's verification and, unless verified, the form to submit it."""
    return await _page(request, session, viewer.id, None)


@router.post("/kyc")
async def kyc_submit(
    request: Request, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    """As ``POST /v1/kyc``."""
    form = await read_form(request)
    body = form.parse(
        KycIn, {"bvn": form["bvn"], "nin": form["nin"], "full_name": form["full_name"]}
    )
    if body is not None:
        async with form.saving(session):
            await service.submit_and_check(
                session, settings, viewer.id, bvn=body.bvn, nin=body.nin, full_name=body.full_name
            )
    if not form.ok:
        return await _page(request, session, viewer.id, form)
    return redirect(request, "/kyc", message="Thank you. Your details were checked.")


@router.post("/kyc/document")
async def kyc_document(
    request: Request,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
    storage: FileStorage,
    file: Annotated[UploadFile, File()],
) -> Response:
    """As ``POST /v1/kyc/document``."""
    form = await read_form(request)
    limit = settings.kyc_document_max_bytes
    data = await file.read(limit + 1)
    async with form.saving(session, field="file"):
        await documents.upload(session, storage, viewer.id, form["document_type"], data, limit)
    if not form.ok:
        return await _page(request, session, viewer.id, form)
    return redirect(request, "/kyc", message="Document uploaded. An administrator may review it.")


navigation.add("admin", "Identity checks", "/admin/kyc", order=50)


async def _queue(request: Request, session: DbSession, form: Form | None = None) -> Response:
    cases = [KycCaseOut.admin(c) for c in await service.review_queue(session)]
    ctx = form.context() if form else {"values": {}, "errors": {}, "form_error": None}
    status = form.status if form else 200
    return render(request, "kyc/admin_queue.html", {**ctx, "cases": cases}, status=status)


@router.get("/admin/kyc")
async def admin_queue(request: Request, admin: PageAdmin, session: DbSession) -> Response:
    """Pending verifications, oldest first, with the name on the BVN and the match score."""
    return await _queue(request, session)


@router.get("/admin/kyc/{case_id}/document")
async def admin_document(
    case_id: str, admin: PageAdmin, session: DbSession, storage: FileStorage
) -> Response:
    """A case's ID document (as ``GET /v1/admin/kyc/cases/{id}/document``)."""
    case, data = await documents.read(session, storage, case_id)
    return Response(data, media_type=case.document_content_type, headers=PRIVATE)


@router.post("/admin/kyc/{case_id}/{decision}")
async def admin_decide(
    request: Request, case_id: str, decision: str, admin: PageAdmin, session: DbSession
) -> Response:
    """Approve, or reject with a reason (as ``POST /v1/admin/kyc/cases/{id}/…``)."""
    form = await read_form(request)
    async with form.saving(session, field="reason"):
        await service.decide(
            session, admin.id, case_id, approve=decision == "approve", reason=form["reason"]
        )
    if not form.ok:
        return await _queue(request, session, form)
    done = "Approved." if decision == "approve" else "Rejected; the user sees your reason."
    return redirect(request, "/admin/kyc", message=done)
