"""The pages of ``kro.kyc``: ``/kyc``, where a user submits BVN, NIN and name and sees the
status of their verification; ``/admin/kyc``, the review queue (approve, or reject with a
reason). Thin: it calls :func:`kro.kyc.service.submit_and_check`, as
``POST /v1/kyc`` does."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from kro.identity.dependencies import AppSettings
from kro.kit.deps import DbSession
from kro.kyc import service
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
    return render(
        request, "kyc/status.html", {**ctx, "case": case}, status=form.status if form else 200
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
