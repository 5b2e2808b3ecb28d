"""``/v1/auth/*`` and ``/v1/me``.

Each route lists its own errors in ``responses=``; those of its dependencies (authentication,
CAPTCHA) and of request validation are added by :mod:`kro.kit.openapi`.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from kro.identity import service
from kro.identity.captcha import CaptchaCheck
from kro.identity.dependencies import CurrentUser, Tokens
from kro.identity.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    RefreshTokenReused,
    UserInactive,
)
from kro.identity.schemas import LoginIn, RefreshIn, RegisterIn, TokenOut, UserOut
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses

router = APIRouter(tags=["identity"])


@router.post(
    "/v1/auth/register",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(EmailTaken),
)
async def register(body: RegisterIn, session: DbSession, _: CaptchaCheck) -> Envelope[UserOut]:
    """Create an account (role ``user``). 409 ``email_taken`` if the email is in use."""
    user = await service.create_user(
        session, email=body.email, password=body.password, full_name=body.full_name
    )
    return ok(UserOut.model_validate(user))


@router.post("/v1/auth/login", responses=error_responses(InvalidCredentials, UserInactive))
async def login(
    body: LoginIn, session: DbSession, tokens: Tokens, _: CaptchaCheck
) -> Envelope[TokenOut]:
    """Exchange email and password for tokens. 401 ``invalid_credentials``; 403
    ``user_inactive``."""
    user = await service.authenticate(session, body.email, body.password)
    pair = await service.issue_tokens(session, user, tokens)
    return ok(TokenOut(**pair.__dict__))


@router.post(
    "/v1/auth/refresh", responses=error_responses(InvalidToken, RefreshTokenReused, UserInactive)
)
async def refresh(body: RefreshIn, session: DbSession, tokens: Tokens) -> Envelope[TokenOut]:
    """Rotate a refresh token into a new pair. 401 ``invalid_token`` /
    ``refresh_token_reused``; 403 ``user_inactive``."""
    pair = await service.refresh(session, body.refresh_token, tokens)
    return ok(TokenOut(**pair.__dict__))


@router.get("/v1/me")
async def me(user: CurrentUser) -> Envelope[UserOut]:
    """The signed-in user."""
    return ok(UserOut.model_validate(user))
