"""Typed auth dependencies: ``CurrentUser`` (any signed-in user), ``AdminUser``, and
``CurrentTenant`` (a tenant's secret API key, rate limited per key).

Each declares the errors it raises (:func:`kro.kit.openapi.raises`), so every route that takes
it lists them in its OpenAPI responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kro.idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from kro.idempotency.routing import idempotent
from kro.identity import admin, api_keys, security, service
from kro.identity.errors import (
    AccessTokenRequired,
    AdminRequired,
    AdminTokenRequired,
    InvalidApiKey,
    InvalidToken,
    TokenExpired,
    UserInactive,
)
from kro.identity.models import ApiKey, User
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.kit.deps import DbSession
from kro.kit.errors import InvalidIdempotencyKey, RateLimited
from kro.kit.openapi import raises
from kro.kit.ratelimit import RateLimiter
from kro.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="JWT access token from /v1/auth/login")


async def get_app_settings(request: Request) -> Settings:
    """The app's settings. ``async`` (it does no I/O): FastAPI runs a plain ``def``
    dependency in a worker thread, a thread hop and GIL hand-offs on every request."""
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_app_settings)]


async def token_policy(settings: AppSettings) -> service.TokenPolicy:
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


async def client_ip(request: Request) -> str | None:
    """The caller's address as the proxy reported it (uvicorn ``--proxy-headers``); ``async``
    as :func:`get_app_settings` is."""
    return request.client.host if request.client else None


ClientIp = Annotated[str | None, Depends(client_ip)]


# API keys (the merchant API) ----------------------------------------------------------------

_api_key = HTTPBearer(
    scheme_name="ApiKey",
    auto_error=False,
    description="A tenant's secret API key: `sk_test_…` (sandbox) or `sk_live_…`",
)


@dataclass(frozen=True, slots=True)
class TenantContext:
    """Who calls with an API key: its tenant (``tenant_id``, a ``kro.tenants`` row) and mode
    (``test`` | ``live``), and the key itself."""

    tenant_id: str
    mode: str
    key: ApiKey


@raises(InvalidApiKey, RateLimited)
async def api_key_auth(
    request: Request,
    response: Response,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_api_key)],
) -> TenantContext:
    """Authenticate the API key (401 ``invalid_api_key``), then count the request against the
    key's rate limit (429 ``rate_limited`` with ``Retry-After``; ``X-RateLimit-*`` always).

    A key this process authenticated in the last ``api_keys.KEY_CACHE_TTL`` seconds is not
    read again (a revoked or rotated key is forgotten at once). Otherwise the look-up — and the
    once-a-minute ``last_used_at`` write — runs in its own short transaction, not the
    request's: on SQLite that keeps the request's write lock free for the idempotency claim.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise InvalidApiKey("An API key is required: Authorization: Bearer sk_….")
    secret, now = credentials.credentials, utcnow()
    sessions = request.app.state.sessions
    digest = api_keys.cache_key(secret)
    key = api_keys.cached_key(digest, now)
    if key is None:

        async def load() -> ApiKey:
            async with unit_of_work(sessions) as session:
                return await api_keys.authenticate(session, secret, now)

        key = await api_keys.KEYS.load(digest, load)
    elif api_keys.last_used_due(key, now):
        async with unit_of_work(sessions) as session:
            await api_keys.mark_used(session, key, now)
    limiter: RateLimiter = request.app.state.rate_limiter
    result = await limiter.hit(f"api_key:{key.id}")
    if not result.allowed:
        raise RateLimited(
            f"Rate limit of {result.limit} requests exceeded; retry in {result.retry_after} s.",
            headers=result.headers(),
            details={"retry_after": result.retry_after},
        )
    response.headers.update(result.headers())
    return TenantContext(key.tenant_id, key.mode, key)


CurrentTenant = Annotated[TenantContext, Depends(api_key_auth)]


async def api_key_scope(ctx: CurrentTenant) -> str:
    """Idempotency scope of an API-key caller: its tenant and mode (a retry still matches
    after the key was rotated)."""
    return f"tenant:{ctx.tenant_id}:{ctx.mode}"


# Use with ``route_class=IdempotentRoute`` on the router (kro.idempotency.routing).
ApiKeyIdempotency = idempotent(api_key_scope)
_IDEMPOTENCY_ERRORS = (InvalidIdempotencyKey, IdempotencyKeyReused, IdempotencyKeyInUse)
raises(*_IDEMPOTENCY_ERRORS)(ApiKeyIdempotency.dependency)
