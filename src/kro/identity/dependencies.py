"""Typed auth dependencies: ``CurrentUser`` (any signed-in user) and ``AdminUser``.

Each declares the errors it raises (:func:`kro.kit.openapi.raises`), so every route that takes
it lists them in its OpenAPI responses.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kro.identity import admin, security, service
from kro.identity.errors import (
    AccessTokenRequired,
    AdminRequired,
    AdminTokenRequired,
    InvalidToken,
    TokenExpired,
    UserInactive,
)
from kro.identity.models import User
from kro.kit.deps import DbSession
from kro.kit.openapi import raises
from kro.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="JWT access token from /v1/auth/login")


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_app_settings)]


def token_policy(settings: AppSettings) -> service.TokenPolicy:
    return service.TokenPolicy(
        secret=settings.jwt_secret,
        access_ttl=settings.access_token_ttl,
        refresh_ttl=settings.refresh_token_ttl,
    )


Tokens = Annotated[service.TokenPolicy, Depends(token_policy)]


@raises(AccessTokenRequired, InvalidToken, TokenExpired, UserInactive)
async def current_user(
    session: DbSession,
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user of the bearer access token; 401 ``unauthorized`` (none), ``invalid_token`` /
    ``token_expired``; 403 ``user_inactive``."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AccessTokenRequired()
    claims = security.decode_access_token(credentials.credentials, secret=settings.jwt_secret)
    user = await session.get(User, claims["sub"])
    if user is None:
        raise InvalidToken()
    if not user.is_active:
        raise UserInactive()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


@raises(AdminTokenRequired, TokenExpired, UserInactive, AdminRequired)
async def admin_user(
    session: DbSession,
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The admin of the bearer **admin** token (``/v1/admin/auth/login``). A user access token
    never passes: 401 ``admin_token_required``; a demoted or disabled admin: 403."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AdminTokenRequired()
    claims = admin.decode_admin_token(credentials.credentials, secret=settings.admin_jwt_secret)
    user = await session.get(User, claims["sub"])
    if user is None or not user.is_active:
        raise UserInactive()
    if user.role != "admin":
        raise AdminRequired()
    return user


AdminUser = Annotated[User, Depends(admin_user)]


def client_ip(request: Request) -> str | None:
    """The caller's address as the proxy reported it (uvicorn ``--proxy-headers``)."""
    return request.client.host if request.client else None


ClientIp = Annotated[str | None, Depends(client_ip)]
