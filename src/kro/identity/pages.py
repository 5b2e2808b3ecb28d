"""The apps' front door: sign up, sign in (password or emailed link), sign out, and the
profile (phone verification by SMS code). Thin: each calls the service the JSON endpoint
calls (:mod:`kro.identity.service`, :mod:`~kro.identity.magic_links`,
:mod:`~kro.identity.phone`), with the same errors, shown next to their fields.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity import magic_links, phone, service
from kro.identity.captcha import verify_captcha
from kro.identity.dependencies import AppSettings
from kro.identity.schemas import LoginIn, RegisterIn
from kro.kit.db import released
from kro.kit.deps import DbSession
from kro.web import navigation
from kro.web.dependencies import OptionalViewer, PageUser, sign_in, sign_out
from kro.web.forms import read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["identity pages"])
navigation.add("app", "Profile", "/profile", order=90)


def safe_next(target: str | None) -> str:
    """Only a path on this site (no ``//evil.example``): an open redirect is a phishing aid."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _client(request: Request) -> magic_links.Client:
    return magic_links.Client(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


async def _captcha(
    request: Request, session: AsyncSession, settings: AppSettings, token: str
) -> None:
    if settings.recaptcha_enabled:
        async with released(session):  # no lock held while Google answers (SQLite)
            await verify_captcha(settings, token, request.client.host if request.client else None)


@router.get("/sign-up")
async def sign_up_page(request: Request, viewer: OptionalViewer) -> Response:
    if viewer is not None:
        return redirect(request, "/")
    return render(request, "identity/sign_up.html", {})


@router.post("/sign-up")
async def sign_up(request: Request, session: DbSession, settings: AppSettings) -> Response:
    """Create the account (as ``POST /v1/auth/register``) and sign it in."""
    form = await read_form(request)
    body = form.parse(RegisterIn)
    response = redirect(request, "/", message="Welcome to KRO. Your account is ready.")
    if body is not None:
        async with form.saving(session):
            await _captcha(request, session, settings, form["captcha_token"])
            user = await service.create_user(
                session, email=body.email, password=body.password, full_name=body.full_name
            )
            await sign_in(request, response, session, user, "app")
    if not form.ok:
        return render(request, "identity/sign_up.html", form.context(), status=form.status)
    return response


@router.get("/sign-in")
async def sign_in_page(
    request: Request, viewer: OptionalViewer, next: str = Query("/", max_length=500)
) -> Response:
    if viewer is not None:
        return redirect(request, safe_next(next))
    return render(request, "identity/sign_in.html", {"next": safe_next(next), "link": False})


@router.post("/sign-in")
async def sign_in_password(request: Request, session: DbSession, settings: AppSettings) -> Response:
    """Email and password (as ``POST /v1/auth/login``)."""
    form = await read_form(request)
    target = safe_next(form["next"])
    body = form.parse(LoginIn, {"email": form["email"], "password": form.values.get("password")})
    response = redirect(request, target)
    if body is not None:
        async with form.saving(session):
            await _captcha(request, session, settings, form["captcha_token"])
            user = await service.authenticate(session, body.email, body.password)
            await sign_in(request, response, session, user, "app")
    if not form.ok:
        return render(
            request,
            "identity/sign_in.html",
            form.context(next=target, link=False),
            status=form.status,
        )
    return response


@router.post("/sign-out")
async def sign_out_page(request: Request, session: DbSession) -> Response:
    response = redirect(request, "/sign-in", message="You are signed out.")
    await sign_out(request, response, session, "app")
    return response


@router.post("/sign-in/link")
async def request_link(request: Request, session: DbSession, settings: AppSettings) -> Response:
    """Email a one-time sign-in link (as ``POST /v1/auth/magic-link``). The answer is the
    same whether or not the email has an account (no enumeration)."""
    form = await read_form(request)
    if "@" not in form["link_email"]:
        form.error("link_email", "validation_error", "Enter the email address of your account.")
    if form.ok:
        async with form.saving(session):
            await _captcha(request, session, settings, form["captcha_token"])
            policy = magic_links.MagicLinkPolicy.from_settings(settings)
            await magic_links.request_link(session, form["link_email"], policy, _client(request))
    if not form.ok:
        return render(
            request, "identity/sign_in.html", form.context(next="/", link=True), status=form.status
        )
    return render(request, "identity/link_sent.html", {"email": form["link_email"]})


@router.get("/sign-in/link")
async def link_page(request: Request, token: str = Query("", max_length=256)) -> Response:
    """What the emailed link opens. Opening it does not use it up (mail scanners open links);
    the button does."""
    return render(request, "identity/link_confirm.html", {"token": token})


@router.post("/sign-in/link/confirm")
async def redeem_link(request: Request, session: DbSession) -> Response:
    """Use the link (as ``POST /v1/auth/magic-link/verify``) and sign in."""
    form = await read_form(request)
    response = redirect(request, "/")
    async with form.saving(session):
        user = await magic_links.redeem(session, form["token"], _client(request))
        await sign_in(request, response, session, user, "app")
    if not form.ok:
        return render(
            request, "identity/link_confirm.html", form.context(token=""), status=form.status
        )
    return response


@router.get("/profile")
async def profile(request: Request, viewer: PageUser) -> Response:
    """Name, email, phone (verified or not)."""
    return render(request, "identity/profile.html", {"user": viewer, "code_sent": False})


@router.post("/profile/phone")
async def send_phone_code(
    request: Request, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    """Text a code to the number (as ``POST /v1/me/phone``)."""
    form = await read_form(request)
    verification = None
    async with form.saving(session, field="phone"):
        verification = await phone.start(
            session, viewer, form["phone"], phone.PhonePolicy.from_settings(settings)
        )
    if not form.ok or verification is None:
        ctx = form.context(user=viewer, code_sent=False)
        return render(request, "identity/profile.html", ctx, status=form.status)
    ctx = form.context(user=viewer, code_sent=True, phone=verification.phone)
    return render(request, "identity/profile.html", ctx)


@router.post("/profile/phone/verify")
async def verify_phone(
    request: Request, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    """Confirm the code (as ``POST /v1/me/phone/verify``)."""
    form = await read_form(request)
    async with form.saving(session, field="code"):
        await phone.confirm(
            session, viewer, form["code"], phone.PhonePolicy.from_settings(settings)
        )
    if not form.ok:
        ctx = form.context(user=viewer, code_sent=True, phone=form["phone"])
        return render(request, "identity/profile.html", ctx, status=form.status)
    return redirect(request, "/profile", message="Your phone number is verified.")
