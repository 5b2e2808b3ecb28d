"""The admin console's front door and users: sign in with a password then a TOTP code
(enrolment by QR code for an admin without one), the overview at ``/admin``, users (search,
suspend, reinstate).

Admins are separate from users: the console's cookie is ``kro_admin`` (audience ``admin``,
sent only to ``/admin``). Between the password and the code, the browser holds a signed,
short-lived ``kro_admin_2fa`` cookie naming the admin; only a good code (or the first code of
a new authenticator) turns it into a session. Thin: each page calls the function the admin
JSON API calls (:mod:`kro.identity.admin`), with the same errors, shown beside their fields.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Query, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity import admin, service
from kro.identity.dependencies import AppSettings, ClientIp
from kro.identity.errors import UserNotFound
from kro.identity.models import User
from kro.identity.pages import safe_next
from kro.identity.schemas import LoginIn, SuspendIn, TotpIn
from kro.kit.deps import DbSession
from kro.kit.errors import RateLimited
from kro.kit.ratelimit import RateLimiter
from kro.web import navigation
from kro.web.dependencies import ADMIN_PATH, PageAdmin, sign_in, sign_out
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["admin identity pages"])
navigation.add("admin", "Overview", "/admin", order=0)
navigation.add("admin", "Users", "/admin/users", order=10)

SECOND_FACTOR_COOKIE = "kro_admin_2fa"
SECOND_FACTOR_TTL = 10 * 60  # seconds between the password and the code
# Codes tried per admin at sign-in: a stolen password must not buy a million guesses.
CODE_ATTEMPTS = "5/minute"


# -- The overview: each module adds a count of what waits for an admin -----------------------


@dataclass(frozen=True, slots=True)
class Tile:
    """A number on the overview (``count(session)``) linking to the page that lists it."""

    label: str
    href: str
    count: Callable[[AsyncSession], Awaitable[int]]
    order: int


_tiles: list[Tile] = []


def add_tile(
    label: str, href: str, count: Callable[[AsyncSession], Awaitable[int]], *, order: int = 50
) -> None:
    """Show ``count`` on ``/admin`` (called when a module's admin pages are imported; core
    modules cannot import products, so products add their own numbers)."""
    if all(t.href != href for t in _tiles):
        _tiles.append(Tile(label, href, count, order))
        _tiles.sort(key=lambda t: (t.order, t.label))


add_tile("Users", "/admin/users", admin.count_users, order=90)


@router.get("/admin")
async def overview(request: Request, viewer: PageAdmin, session: DbSession) -> Response:
    """What waits for an admin: open disputes, payouts to approve, and the users."""
    tiles = [(tile, await tile.count(session)) for tile in _tiles]
    return render(request, "identity/admin/overview.html", {"tiles": tiles})


# -- Sign in: password, then a TOTP code (or enrolment) ---------------------------------------


def _admin_next(target: str | None) -> str:
    """Only a console page (never the sign-in pages themselves)."""
    path = safe_next(target)
    if not path.startswith(ADMIN_PATH) or path.startswith("/admin/sign-"):
        return ADMIN_PATH
    return path


def _serializer(settings: AppSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.web_secret, salt="kro.admin.second_factor")


def _remember_password_passed(
    response: Response, settings: AppSettings, user: User, target: str
) -> None:
    response.set_cookie(
        SECOND_FACTOR_COOKIE,
        _serializer(settings).dumps({"uid": user.id, "next": target}),
        max_age=SECOND_FACTOR_TTL,
        path=ADMIN_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.env == "production",
    )


async def _password_passed(
    request: Request, session: AsyncSession, settings: AppSettings
) -> tuple[User, str] | None:
    """The admin who gave their password in this browser in the last minutes, and where they
    were going; ``None`` otherwise."""
    raw = request.cookies.get(SECOND_FACTOR_COOKIE, "")
    try:
        data: dict[str, Any] = _serializer(settings).loads(raw, max_age=SECOND_FACTOR_TTL)
        user = await service.get_user(session, str(data["uid"]))
    except (BadSignature, KeyError, TypeError, UserNotFound):
        return None
    if user.role != "admin" or not user.is_active:
        return None
    return user, _admin_next(str(data.get("next", ADMIN_PATH)))


async def _count_attempt(request: Request, settings: AppSettings, user: User) -> None:
    """One code tried by ``user`` at sign-in; RateLimited (429) past :data:`CODE_ATTEMPTS`."""
    limiter: RateLimiter | None = getattr(request.app.state, "admin_code_limiter", None)
    if limiter is None:
        limiter = RateLimiter(CODE_ATTEMPTS, redis_url=settings.redis_url, namespace="kro-admin")
        request.app.state.admin_code_limiter = limiter
    result = await limiter.hit(f"admin_code:{user.id}")
    if not result.allowed:
        raise RateLimited(
            f"Too many codes tried; wait {result.retry_after} s and try again.",
            details={"retry_after": result.retry_after},
        )


def _again(request: Request) -> Response:
    return redirect(request, "/admin/sign-in", message="Please sign in again.")


async def _open_console(
    request: Request, session: AsyncSession, user: User, target: str, message: str | None = None
) -> Response:
    response = redirect(request, target, message=message)
    await sign_in(request, response, session, user, "admin")
    response.delete_cookie(SECOND_FACTOR_COOKIE, path=ADMIN_PATH)
    return response


@router.get("/admin/sign-in")
async def sign_in_page(request: Request, next: str = Query("/admin", max_length=500)) -> Response:
    request.state.area = "admin"
    return render(request, "identity/admin/sign_in.html", {"next": _admin_next(next)})


@router.post("/admin/sign-in")
async def sign_in_password(
    request: Request, session: DbSession, settings: AppSettings, ip: ClientIp
) -> Response:
    """Email and password (as ``POST /v1/admin/auth/login``), then the code."""
    request.state.area = "admin"
    form = await read_form(request)
    target = _admin_next(form["next"])
    body = form.parse(LoginIn, {"email": form["email"], "password": form.values.get("password")})
    user = None
    if body is not None:
        async with form.saving(session):
            user = await admin.sign_in(session, body.email, body.password, ip=ip)
    if not form.ok or user is None:
        ctx = form.context(next=target)
        return render(request, "identity/admin/sign_in.html", ctx, status=form.status)
    response = redirect(request, "/admin/sign-in/code")
    _remember_password_passed(response, settings, user, target)
    return response


@router.get("/admin/sign-in/code")
async def code_page(request: Request, session: DbSession, settings: AppSettings) -> Response:
    """The authenticator's code, or (no authenticator yet) the way to set one up."""
    request.state.area = "admin"
    passed = await _password_passed(request, session, settings)
    if passed is None:
        return _again(request)
    user, _ = passed
    enrolled = await admin.totp_enrolled(session, user)
    return render(request, "identity/admin/code.html", {"enrolled": enrolled, "email": user.email})


@router.post("/admin/sign-in/code")
async def check_code(request: Request, session: DbSession, settings: AppSettings) -> Response:
    """A fresh code (or an unused recovery code) opens the console."""
    request.state.area = "admin"
    passed = await _password_passed(request, session, settings)
    if passed is None:
        return _again(request)
    user, target = passed
    form = await read_form(request)
    async with form.saving(session, field="code"):
        await _count_attempt(request, settings, user)
        await admin.require_totp(session, user, form["code"], field="code")
    if not form.ok:
        ctx = form.context(enrolled=True, email=user.email)
        return render(request, "identity/admin/code.html", ctx, status=form.status)
    return await _open_console(request, session, user, target)


@router.post("/admin/sign-in/enrol")
async def enrol(
    request: Request, session: DbSession, settings: AppSettings, ip: ClientIp
) -> Response:
    """Start enrolment (as ``POST /v1/admin/totp/enrol``): the QR code, the secret and the
    recovery codes, shown once."""
    request.state.area = "admin"
    passed = await _password_passed(request, session, settings)
    if passed is None:
        return _again(request)
    user, _ = passed
    if await admin.totp_enrolled(session, user):
        return redirect(request, "/admin/sign-in/code")
    enrolment = await admin.start_enrolment(session, user, issuer=settings.admin_totp_issuer, ip=ip)
    return render(request, "identity/admin/enrol.html", {"enrolment": enrolment})


@router.post("/admin/sign-in/enrol/confirm")
async def confirm_enrolment(
    request: Request, session: DbSession, settings: AppSettings, ip: ClientIp
) -> Response:
    """The first code finishes enrolment (as ``POST /v1/admin/totp/confirm``) and opens the
    console."""
    request.state.area = "admin"
    passed = await _password_passed(request, session, settings)
    if passed is None:
        return _again(request)
    user, target = passed
    form = await read_form(request)
    body = form.parse(TotpIn, {"code": form["code"]})
    if body is not None:
        async with form.saving(session, field="code"):
            await _count_attempt(request, settings, user)
            await admin.finish_enrolment(session, user, body.code, ip=ip, field="code")
    if form.ok:
        message = "Your authenticator is set up. Each money move will ask for a fresh code."
        return await _open_console(request, session, user, target, message)
    enrolment = await admin.enrolment_in_progress(session, user, issuer=settings.admin_totp_issuer)
    if enrolment is None:
        return redirect(request, "/admin/sign-in/code")
    ctx = form.context(enrolment=enrolment)
    return render(request, "identity/admin/enrol.html", ctx, status=form.status)


@router.post("/admin/sign-out")
async def sign_out_page(request: Request, session: DbSession) -> Response:
    response = redirect(request, "/admin/sign-in", message="You are signed out of the console.")
    await sign_out(request, response, session, "admin")
    return response


# -- Users -------------------------------------------------------------------------------------


@router.get("/admin/users")
async def users(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    q: str = Query("", max_length=100),
) -> Response:
    """Users whose email or name contains ``q`` (as ``GET /v1/admin/users``)."""
    rows = await admin.search_users(session, q.strip() or None, limit=50)
    return render(request, "identity/admin/users.html", {"users": rows, "q": q})


async def _user_page(
    request: Request, session: AsyncSession, user_id: str, form: Form | None = None
) -> Response:
    user = await service.get_user(session, user_id)
    ctx = form.context(user=user) if form else {"user": user}
    return render(request, "identity/admin/user.html", ctx, status=form.status if form else 200)


@router.get("/admin/users/{user_id}")
async def user_page(
    request: Request, user_id: str, viewer: PageAdmin, session: DbSession
) -> Response:
    """One user: who they are, their state, suspend or reinstate. 404 ``user_not_found``."""
    return await _user_page(request, session, user_id)


async def _change_status(
    request: Request,
    user_id: str,
    viewer: User,
    session: AsyncSession,
    ip: str | None,
    active: bool,
) -> Response:
    form = await read_form(request)
    body = form.parse(SuspendIn, {"reason": form["reason"]})
    user = None
    if body is not None:
        async with form.saving(session, field="reason"):
            user = await admin.change_status(
                session, viewer, user_id, active=active, reason=body.reason, ip=ip
            )
    if not form.ok or user is None:
        return await _user_page(request, session, user_id, form)
    message = (
        f"{user.full_name} is reinstated."
        if active
        else f"{user.full_name} is suspended and signed out everywhere."
    )
    return redirect(request, f"/admin/users/{user.id}", message=message)


@router.post("/admin/users/{user_id}/suspend")
async def suspend(
    request: Request, user_id: str, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """Suspend (as ``POST /v1/admin/users/{id}/suspend``): tokens stop working, browser
    sessions end; audit-logged with the reason."""
    return await _change_status(request, user_id, viewer, session, ip, active=False)


@router.post("/admin/users/{user_id}/reinstate")
async def reinstate(
    request: Request, user_id: str, viewer: PageAdmin, session: DbSession, ip: ClientIp
) -> Response:
    """Lift a suspension (as ``POST /v1/admin/users/{id}/reinstate``); audit-logged."""
    return await _change_status(request, user_id, viewer, session, ip, active=True)
