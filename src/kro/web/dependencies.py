"""Who is looking at a page: ``PageUser`` (a signed-in user of the apps), ``PageAdmin`` (an
admin of the console), ``OptionalViewer``; and the session cookies that carry them.

Users and admins are separate, as in the API: the user cookie (``kro_session``) never opens
``/admin``, and the admin cookie (``kro_admin``, sent only to ``/admin``) opens nothing else.
A suspended user is signed out on their next page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from kro.identity import service as identity
from kro.identity.errors import UserNotFound
from kro.identity.models import User
from kro.kit.deps import DbSession
from kro.settings import Settings
from kro.web import csrf, sessions
from kro.web.errors import SignInRequired

USER_COOKIE = "kro_session"
ADMIN_COOKIE = "kro_admin"
ADMIN_PATH = "/admin"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def policy(settings: Settings, audience: str) -> sessions.SessionPolicy:
    ttl = settings.web_admin_session_ttl if audience == "admin" else settings.web_session_ttl
    return sessions.SessionPolicy(ttl=ttl, idle=settings.web_idle_timeout)


def _next_url(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


async def _viewer(request: Request, session: DbSession, audience: str) -> User | None:
    cookie = ADMIN_COOKIE if audience == "admin" else USER_COOKIE
    token = request.cookies.get(cookie, "")
    if not token:
        return None
    row = await sessions.resolve(session, token, audience, policy(_settings(request), audience))
    if row is None:
        return None
    try:
        user = await identity.get_user(session, row.user_id)
    except UserNotFound:
        return None
    if not user.is_active or (audience == "admin" and user.role != "admin"):
        return None
    request.state.viewer = user
    request.state.area = audience
    return user


async def optional_viewer(request: Request, session: DbSession) -> User | None:
    """The signed-in user of the apps, or ``None``."""
    return await _viewer(request, session, "app")


async def page_user(request: Request, session: DbSession) -> User:
    """The signed-in user; otherwise a redirect to ``/sign-in?next=…``."""
    user = await _viewer(request, session, "app")
    if user is None:
        raise SignInRequired(_next_url(request))
    return user


async def page_admin(request: Request, session: DbSession) -> User:
    """The signed-in admin of the console; otherwise a redirect to ``/admin/sign-in``."""
    request.state.area = "admin"
    user = await _viewer(request, session, "admin")
    if user is None:
        raise SignInRequired(_next_url(request), admin=True)
    return user


OptionalViewer = Annotated[User | None, Depends(optional_viewer)]
PageUser = Annotated[User, Depends(page_user)]
PageAdmin = Annotated[User, Depends(page_admin)]


async def sign_in(
    request: Request, response: Response, session: DbSession, user: User, audience: str
) -> None:
    """Start a session for ``user`` and set its cookie on ``response`` (and a new CSRF
    cookie: a token from before sign-in no longer works)."""
    settings = _settings(request)
    _, token = await sessions.start(
        session,
        user.id,
        audience,
        policy(settings, audience),
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    response.set_cookie(
        ADMIN_COOKIE if audience == "admin" else USER_COOKIE,
        token,
        max_age=policy(settings, audience).ttl,
        path=ADMIN_PATH if audience == "admin" else "/",
        httponly=True,
        samesite="lax",
        secure=settings.env == "production",
    )
    csrf.rotate(request)


async def sign_out(request: Request, response: Response, session: DbSession, audience: str) -> None:
    """End this browser's session of ``audience`` and clear its cookie."""
    cookie = ADMIN_COOKIE if audience == "admin" else USER_COOKIE
    token = request.cookies.get(cookie, "")
    if token:
        await sessions.end(session, token)
    response.delete_cookie(cookie, path=ADMIN_PATH if audience == "admin" else "/")
    csrf.rotate(request)
