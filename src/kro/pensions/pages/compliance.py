"""The portal's GLI and compliance page: readiness with its evidence, GLI policies and each
employee's cover, the insurer's certificate upload, issuing the compliance certificate and
its PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Request, UploadFile
from fastapi.responses import Response

from kro.identity.dependencies import AppSettings
from kro.kit.clock import utcnow
from kro.kit.deps import DbSession, FileStorage
from kro.pensions import compliance
from kro.pensions.dependencies import PageComplianceOfficer, PageMember
from kro.pensions.employers import Access
from kro.pensions.operators import INSURERS
from kro.pensions.pages.common import P, base, show
from kro.pensions.schemas import GliIn
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect

router = page_router()


async def _compliance_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    found: Access,
    form: Form | None = None,
) -> Response:
    _, items = await compliance.readiness(session, settings, found)
    policy, cover = await compliance.covers(session, settings, found.employer.id, utcnow().date())
    context = {
        **await base(session, settings, found),
        "items": items,
        "ready": all(i.ok for i in items),
        "policies": await compliance.policies(session, found),
        "policy": policy,
        "cover": cover,
        "certificates": await compliance.certificates(session, found),
        "insurers": [(i, i) for i in INSURERS],
        "verify_url": lambda c: compliance.verify_url(settings, c),
    }
    return show(request, "pensions/compliance.html", context, form)


@router.get(P + "/compliance")
async def compliance_page(
    request: Request, found: PageMember, session: DbSession, settings: AppSettings
) -> Response:
    return await _compliance_page(request, session, settings, found)


@router.post(P + "/gli")
async def add_policy(
    request: Request, found: PageComplianceOfficer, session: DbSession, settings: AppSettings
) -> Response:
    form = await read_form(request)
    premium = form.amount("premium")
    body = form.parse(
        GliIn,
        {**form.values, "premium": premium, "premium_paid_on": form["premium_paid_on"] or None},
    )
    if body is not None:
        async with form.saving(session):
            await compliance.add_policy(session, found, body.model_dump())
    if not form.ok:
        return await _compliance_page(request, session, settings, found, form)
    url = f"/pensions/{found.employer.id}/compliance"
    return redirect(request, url, message="GLI policy recorded.")


@router.post(P + "/gli/{policy_id}/certificate")
async def upload_gli_certificate(
    request: Request,
    found: PageComplianceOfficer,
    policy_id: str,
    session: DbSession,
    settings: AppSettings,
    storage: FileStorage,
    file: Annotated[UploadFile, File()],
) -> Response:
    data = await file.read(compliance.MAX_CERTIFICATE + 1)
    form = Form()
    async with form.saving(session):
        await compliance.upload_certificate(
            session, storage, found, policy_id, data, file.content_type or ""
        )
    if not form.ok:
        return await _compliance_page(request, session, settings, found, form)
    url = f"/pensions/{found.employer.id}/compliance"
    return redirect(request, url, message="GLI certificate uploaded.")


@router.post(P + "/certificates")
async def issue(
    request: Request, found: PageComplianceOfficer, session: DbSession, settings: AppSettings
) -> Response:
    form = Form()
    async with form.saving(session):
        await compliance.issue_certificate(session, settings, found)
    if not form.ok:
        return await _compliance_page(request, session, settings, found, form)
    url = f"/pensions/{found.employer.id}/compliance"
    return redirect(request, url, message="Certificate issued.")


@router.get(P + "/certificates/{certificate_id}.pdf")
async def certificate_pdf(
    found: PageMember, certificate_id: str, session: DbSession, settings: AppSettings
) -> Response:
    _, pdf = await compliance.certificate_pdf(session, settings, found, certificate_id)
    return Response(pdf, media_type="application/pdf")
