"""Identity request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class RegisterIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=128)
    full_name: str = Field(min_length=1, max_length=200)


class LoginIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=128)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    """``access_token`` is a JWT valid for ``expires_in`` seconds (15 min by default)."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    full_name: str
    role: str
    created_at: datetime


class TotpIn(BaseModel):
    """A code from the admin's authenticator (or a recovery code)."""

    code: str = Field(min_length=6, max_length=16)


class SuspendIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
