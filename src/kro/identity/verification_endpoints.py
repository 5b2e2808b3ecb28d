"""``/v1/me/phone`` (verify a phone by SMS code) and ``/v1/auth/magic-link`` (email sign-in).

Thin: parse, authorize, call :mod:`kro.identity.phone` or :mod:`kro.identity.magic_links`.
Each route lists its own errors in ``responses=`` (those of authentication, CAPTCHA and request
validation are added by :mod:`kro.kit.openapi`).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from kro.identity import magic_links, phone, service
from kro.identity.captcha import CaptchaCheck
from kro.identity.dependencies import AppSettings, CurrentUser, Tokens
from kro.identity.errors import (
    InvalidPhone,
    MagicLinkInvalid,
    PhoneCodeAttemptsExceeded,
    PhoneCodeExpired,
    PhoneCodeInvalid,
    PhoneCodeLimit,
    PhoneCodeTooSoon,
    UserInactive,
)
from kro.identity.schemas import TokenOut
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses

router = APIRouter(tags=["identity"])


class PhoneIn(BaseModel):
    phone: str = Field(min_length=7, max_length=32, examples=["+2348012345678"])


class PhoneCodeIn(BaseModel):
    code: str = Field(pattern=r"^\s*\d{6}\s*$", examples=["123456"])


class PhoneCodeSentOut(BaseModel):
    """Where the code went and until when it is valid (``resend_after`` seconds)."""

    phone: str
    expires_at: datetime
    resend_after: int


class PhoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    phone: str | None
    phone_verified_at: datetime | None


class MagicLinkIn(BaseModel):
    email: EmailStr


class MagicLinkRequestedOut(BaseModel):
    message: str = "If an account exists for this email, a sign-in link is on its way."


class MagicLinkTokenIn(BaseModel):
    token: str = Field(min_length=1, max_length=256)


def _client(request: Request) -> magic_links.Client:
    return magic_links.Client(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


@router.post(
    "/v1/me/phone",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(InvalidPhone, PhoneCodeTooSoon, PhoneCodeLimit),
)
async def start_phone_verification(
    body: PhoneIn, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[PhoneCodeSentOut]:
    """Send a 6-digit code by SMS to ``phone`` (valid 10 minutes). 422 ``invalid_phone``;
    429 ``phone_code_too_soon`` (one a minute) / ``phone_code_limit`` (five an hour)."""
    policy = phone.PhonePolicy.from_settings(settings)
    verification = await phone.start(session, user, body.phone, policy)
    return ok(
        PhoneCodeSentOut(
            phone=verification.phone,
            expires_at=verification.expires_at,
            resend_after=policy.resend_interval,
        )
    )


@router.post(
    "/v1/me/phone/verify",
    responses=error_responses(PhoneCodeInvalid, PhoneCodeExpired, PhoneCodeAttemptsExceeded),
)
async def confirm_phone(
    body: PhoneCodeIn, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[PhoneOut]:
    """Confirm the code. 400 ``invalid_code`` (``details.attempts_left``) / ``code_expired``;
    429 ``too_many_attempts`` after five wrong codes."""
    policy = phone.PhonePolicy.from_settings(settings)
    verified = await phone.confirm(session, user, body.code, policy)
    return ok(PhoneOut.model_validate(verified))


@router.post("/v1/auth/magic-link", status_code=status.HTTP_202_ACCEPTED)
async def request_magic_link(
    body: MagicLinkIn,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    _: CaptchaCheck,
) -> Envelope[MagicLinkRequestedOut]:
    """Email a single-use sign-in link (15 minutes). Always 202, whether or not the email
    has an account."""
    policy = magic_links.MagicLinkPolicy.from_settings(settings)
    await magic_links.request_link(session, body.email, policy, _client(request))
    return ok(MagicLinkRequestedOut())


@router.post(
    "/v1/auth/magic-link/verify", responses=error_responses(MagicLinkInvalid, UserInactive)
)
async def redeem_magic_link(
    body: MagicLinkTokenIn, request: Request, session: DbSession, tokens: Tokens
) -> Envelope[TokenOut]:
    """Exchange the link's token for tokens, as ``/v1/auth/login`` does. 401
    ``invalid_magic_link`` (used, expired or unknown); 403 ``user_inactive``."""
    user = await magic_links.redeem(session, body.token, _client(request))
    pair = await service.issue_tokens(session, user, tokens)
    return ok(TokenOut(**pair.__dict__))


@router.get("/v1/auth/magic-link/verify", include_in_schema=False)
async def magic_link_page(token: str = Query("", max_length=256)) -> RedirectResponse:
    """Links mailed before the sign-in page existed: to ``/sign-in/link`` (which does not
    consume the token either; mail scanners open links)."""
    return RedirectResponse(f"/sign-in/link?token={quote(token)}", status_code=307)
