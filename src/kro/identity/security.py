"""Password hashing (argon2 via pwdlib) and JWT access tokens (HS256 via PyJWT)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash

from kro.identity.errors import InvalidToken, TokenExpired
from kro.kit.clock import utcnow

_hasher = PasswordHash.recommended()
_DUMMY_HASH = _hasher.hash("kro-timing-equaliser")
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-work check; with ``password_hash=None`` it still hashes (no user enumeration)."""
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)


def create_access_token(user_id: str, role: str, *, secret: str, ttl_seconds: int) -> str:
    """A signed JWT: ``sub`` user id, ``role``, ``typ="access"``, ``iat``, ``exp``."""
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": user_id,
        "role": role,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> dict[str, Any]:
    """Claims of a valid access token; raises InvalidToken or TokenExpired (401) otherwise.

    Expiry is checked against :data:`kro.kit.clock` so tests can move time.
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken() from exc
    if claims.get("typ") != "access" or not isinstance(claims.get("sub"), str):
        raise InvalidToken()
    if int(claims.get("exp", 0)) <= int(utcnow().timestamp()):
        raise TokenExpired()
    return claims


def new_refresh_token() -> tuple[str, str]:
    """A fresh opaque refresh token and its SHA-256 hex digest (only the digest is stored)."""
    token = "rt_" + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
