"""Tenant request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from kro.tenants.roles import Mode, Role
from kro.tenants.service import Membership, MemberView


class TenantIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class TenantOut(BaseModel):
    """A tenant and the caller's ``role`` in it."""

    id: str
    name: str
    role: str
    created_at: datetime

    @classmethod
    def of(cls, ms: Membership) -> TenantOut:
        return cls(
            id=ms.tenant.id, name=ms.tenant.name, role=ms.role, created_at=ms.tenant.created_at
        )


class InvitationIn(BaseModel):
    email: EmailStr
    role: Role


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant_id: str
    email: str
    role: str
    status: str
    created_at: datetime


class MemberOut(BaseModel):
    id: str
    user_id: str
    email: str
    role: str
    created_at: datetime

    @classmethod
    def of(cls, view: MemberView) -> MemberOut:
        m = view.member
        return cls(
            id=m.id, user_id=m.user_id, email=view.email, role=m.role, created_at=m.created_at
        )


class RoleIn(BaseModel):
    role: Role


class ApiKeyIn(BaseModel):
    mode: Mode
    name: str | None = Field(default=None, max_length=100)


class ApiKeyOut(BaseModel):
    """A key as lists show it: never the secret. ``expires_at`` is the end of a rotated key's
    grace period; ``replaced_by`` the key that replaced it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    mode: str
    name: str | None
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    replaced_by: str | None


class ApiKeyCreatedOut(ApiKeyOut):
    """``secret`` is shown this once; only its SHA-256 digest is kept."""

    secret: str


class KeyTenantOut(BaseModel):
    """What an API key authenticates as: its tenant and mode."""

    tenant_id: str
    tenant_name: str
    mode: str
    api_key_id: str
    api_key_prefix: str
