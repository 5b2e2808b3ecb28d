"""The portal's front: the viewer's employers, registering one, its overview with the team,
the approver's authenticator, and the public verification page of a certificate."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from kro.identity import totp
from kro.identity.dependencies import AppSettings, ClientIp
from kro.kit.deps import DbSession
from kro.pensions import compliance, employers
from kro.pensions.dependencies import PageMember, PageOwner
from kro.pensions.employers import Access, Actor
from kro.pensions.pages.common import P, base, show
from kro.pensions.schemas import EmployerIn, MemberIn
from kro.web.dependencies import PageUser
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router()


@router.get("/pensions")
async def home(request: Request, viewer: PageUser, session: DbSession) -> Response:
    found = await employers.list_for(session, viewer)
    return render(request, "pensions/home.html", {"employers": found})


@router.get("/pensions/new")
async def new_employer(request: Request, viewer: PageUser) -> Response:
    return render(request, "pensions/new.html", {})


@router.post("/pensions/new")
async def register_employer(
    request: Request, viewer: PageUser, ip: ClientIp, session: DbSession
) -> Response:
    form = await read_form(request)
    body = form.parse(EmployerIn)
    if body is not None:
        async with form.saving(session):
            found = await employers.register(session, Actor(viewer, ip), body.model_dump())
    if not form.ok:
        return render(request, "pensions/new.html", form.context(), status=form.status)
    return redirect(request, f"/pensions/{found.employer.id}", message="Employer registered.")


async def _dashboard(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    found: Access,
    form: Form | None = None,
) -> Response:
    context = {
        **await base(session, settings, found),
        "team": await employers.members(session, found),
        "enrolled": await totp.enrolled(session, found.user, purpose=totp.USER),
    }
    return show(request, "pensions/dashboard.html", context, form)


@router.get(P)
async def dashboard(
    request: Request, found: PageMember, session: DbSession, settings: AppSettings
) -> Response:
    return await _dashboard(request, session, settings, found)


@router.post(P + "/members")
async def add_member(
    request: Request, found: PageOwner, session: DbSession, settings: AppSettings
) -> Response:
    form = await read_form(request)
    body = form.parse(MemberIn)
    if body is not None:
        async with form.saving(session, field="email"):
            await employers.add_member(session, found, body.email, body.role)
    if not form.ok:
        return await _dashboard(request, session, settings, found, form)
    return redirect(request, f"/pensions/{found.employer.id}", message="Team member added.")


@router.get("/pensions-security")
async def security(request: Request, viewer: PageUser, session: DbSession) -> Response:
    enrolled = await totp.enrolled(session, viewer, purpose=totp.USER)
    return render(request, "pensions/security.html", {"enrolled": enrolled, "enrolment": None})


@router.post("/pensions-security/enrol")
async def enrol(request: Request, viewer: PageUser, session: DbSession) -> Response:
    """Start authenticator set-up: the secret and QR code are shown once."""
    enrolment = await totp.enrol(session, viewer, purpose=totp.USER, issuer=totp.USER_ISSUER)
    return render(request, "pensions/security.html", {"enrolled": False, "enrolment": enrolment})


@router.post("/pensions-security/confirm")
async def confirm(request: Request, viewer: PageUser, session: DbSession) -> Response:
    form = await read_form(request)
    async with form.saving(session, field="code"):
        await totp.confirm(session, viewer, form["code"], purpose=totp.USER)
    if not form.ok:
        return render(
            request,
            "pensions/security.html",
            form.context(enrolled=False, enrolment=None),
            status=form.status,
        )
    return redirect(request, "/pensions", message="Authenticator set up.")


@router.get("/pensions/verify/{token}")
async def verify(request: Request, token: str, session: DbSession) -> Response:
    """Public: genuine and still valid? Nothing else about the employer."""
    found = await compliance.verify(session, token)
    return render(request, "pensions/verify.html", {"v": found})
