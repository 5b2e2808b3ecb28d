"""``/v1/admin/auth/login``, ``/v1/admin/totp/*``, ``/v1/admin/users``: administrators.

Each route lists its own errors in ``responses=``; ``AdminUser``'s (401/403) and request
validation's are added by :mod:`kro.kit.openapi`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, EmailStr, Field

from kro.audit import service as audit
from kro.identity import admin, service
from kro.identity.dependencies import AdminUser, AppSettings, ClientIp
from kro.identity.errors import (
    AdminRequired,
    EmailTaken,
    InvalidCredentials,
    TotpAlreadyEnrolled,
    TotpRequired,
    UserInactive,
    UserNotFound,
)
from kro.identity.schemas import LoginIn, SuspendIn, TotpIn, UserOut
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses

router = APIRouter(prefix="/v1/admin", tags=["admin: identity"])


class AdminTokenOut(BaseModel):
    """An admin token (``aud=kro-admin``), valid for ``expires_in`` seconds."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    totp_enrolled: bool


class EnrolmentOut(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg_data_uri: str
    recovery_codes: list[str]


class NewUserIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=12, max_length=128)
    full_name: str = Field(min_length=1, max_length=200)
    role: Literal["user", "admin"] = "user"
    totp_code: str | None = Field(default=None, max_length=16)


@router.post(
    "/auth/login", responses=error_responses(InvalidCredentials, UserInactive, AdminRequired)
)
async def admin_login(
    body: LoginIn, session: DbSession, settings: AppSettings, ip: ClientIp
) -> Envelope[AdminTokenOut]:
    """Sign in as an administrator. 401 ``invalid_credentials``; 403 ``admin_required``."""
    user = await admin.sign_in(session, body.email, body.password, ip=ip)
    token = admin.create_admin_token(
        user, secret=settings.admin_jwt_secret, ttl_seconds=settings.admin_token_ttl
    )
    enrolled = await admin.totp_enrolled(session, user)
    return ok(
        AdminTokenOut(
            access_token=token, expires_in=settings.admin_token_ttl, totp_enrolled=enrolled
        )
    )


@router.post("/totp/enrol", responses=error_responses(TotpAlreadyEnrolled))
async def totp_enrol(
    user: AdminUser, session: DbSession, settings: AppSettings, ip: ClientIp
) -> Envelope[EnrolmentOut]:
    """Start TOTP enrolment: scan the QR code, then confirm with a first code.
    409 ``totp_already_enrolled``."""
    enrolment = await admin.start_enrolment(session, user, issuer=settings.admin_totp_issuer, ip=ip)
    return ok(EnrolmentOut(**enrolment.__dict__))


@router.post("/totp/confirm", responses=error_responses(TotpRequired))
async def totp_confirm(
    body: TotpIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[dict[str, bool]]:
    """Finish enrolment with the authenticator's current code. 403 ``totp_required``."""
    await admin.finish_enrolment(session, user, body.code, ip=ip)
    return ok({"totp_enrolled": True})


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(TotpRequired, EmailTaken),
)
async def create_user(
    body: NewUserIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[UserOut]:
    """Create a user or an admin. Creating an admin needs the acting admin's TOTP when they
    have enrolled one (403 ``totp_required``). 409 ``email_taken``."""
    if body.role == "admin" and await admin.totp_enrolled(session, user):
        await admin.require_totp(session, user, body.totp_code)
    created = await service.create_user(
        session, email=body.email, password=body.password, full_name=body.full_name, role=body.role
    )
    await audit.record(
        session,
        actor_id=user.id,
        action="admin.user_created",
        target_type="user",
        target_id=created.id,
        ip=ip,
        details={"role": body.role},
    )
    return ok(UserOut.model_validate(created))


class AdminUserOut(UserOut):
    is_active: bool


@router.get("/users")
async def search_users(
    _: AdminUser,
    session: DbSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Envelope[list[AdminUserOut]]:
    """Users whose email or name contains ``q``."""
    rows = await admin.search_users(session, q, limit=limit)
    return ok([AdminUserOut.model_validate(u) for u in rows])


async def _set_active(
    session: DbSession, actor: AdminUser, user_id: str, active: bool, reason: str, ip: str | None
) -> AdminUserOut:
    user = await admin.change_status(session, actor, user_id, active=active, reason=reason, ip=ip)
    return AdminUserOut.model_validate(user)


@router.post("/users/{user_id}/suspend", responses=error_responses(UserNotFound))
async def suspend(
    user_id: str, body: SuspendIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[AdminUserOut]:
    """Suspend a user: their tokens stop working (403 ``user_inactive``) and their browser
    sessions end. Audit-logged. 404
    ``user_not_found``."""
    return ok(await _set_active(session, user, user_id, False, body.reason, ip))


@router.post("/users/{user_id}/reinstate", responses=error_responses(UserNotFound))
async def reinstate(
    user_id: str, body: SuspendIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[AdminUserOut]:
    """Lift a suspension. Audit-logged. 404 ``user_not_found``."""
    return ok(await _set_active(session, user, user_id, True, body.reason, ip))
