"""Typed auth dependencies: ``CurrentUser`` (any signed-in user) and ``AdminUser``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kro.identity import admin, security, service
from kro.identity.errors import AdminRequired, InvalidToken, UserInactive
from kro.identity.models import User
from kro.kit.deps import DbSession
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


async def current_user(
    session: DbSession,
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user of the bearer access token; 401 ``invalid_token`` / ``token_expired``."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise InvalidToken("A bearer access token is required.", code="unauthorized")
    claims = security.decode_access_token(credentials.credentials, secret=settings.jwt_secret)
    user = await session.get(User, claims["sub"])
    if user is None:
        raise InvalidToken()
    if not user.is_active:
        raise UserInactive()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def admin_user(
    session: DbSession,
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The admin of the bearer **admin** token (``/v1/admin/auth/login``). A user access token
    never passes: 401 ``admin_token_required``; a demoted or disabled admin: 403."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise InvalidToken("An admin token is required.", code="admin_token_required")
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
