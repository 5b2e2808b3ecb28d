"""Typed dependencies of the merchant API: ``CurrentTenant`` authenticates
``Authorization: Bearer sk_test_…|sk_live_…`` and applies the per-key rate limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kro.idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from kro.idempotency.routing import idempotent, user_scope
from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.kit.errors import InvalidIdempotencyKey, RateLimited
from kro.kit.openapi import raises
from kro.kit.ratelimit import RateLimiter
from kro.tenants import api_keys
from kro.tenants.errors import InvalidApiKey
from kro.tenants.models import ApiKey, Tenant

_api_key = HTTPBearer(
    scheme_name="ApiKey",
    auto_error=False,
    description="A tenant's secret API key: `sk_test_…` (sandbox) or `sk_live_…`",
)


@dataclass(frozen=True, slots=True)
class TenantContext:
    """The tenant and mode (``test`` | ``live``) of the request's API key."""

    tenant: Tenant
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
    found = api_keys.cached_key(digest, now)
    if found is None:

        async def load() -> tuple[ApiKey, Tenant]:
            async with unit_of_work(sessions) as session:
                return await api_keys.authenticate(session, secret, now)

        found = await api_keys.KEYS.load(digest, load)
    elif api_keys.last_used_due(found[0], now):
        async with unit_of_work(sessions) as session:
            await api_keys.mark_used(session, found[0], now)
    key, tenant = found
    limiter: RateLimiter = request.app.state.rate_limiter
    result = await limiter.hit(f"api_key:{key.id}")
    if not result.allowed:
        raise RateLimited(
            f"Rate limit of {result.limit} requests exceeded; retry in {result.retry_after} s.",
            headers=result.headers(),
            details={"retry_after": result.retry_after},
        )
    response.headers.update(result.headers())
    return TenantContext(tenant, key.mode, key)


CurrentTenant = Annotated[TenantContext, Depends(api_key_auth)]


async def api_key_scope(ctx: CurrentTenant) -> str:
    """Idempotency scope of an API-key caller: its tenant and mode (a retry still matches
    after the key was rotated)."""
    return f"tenant:{ctx.tenant.id}:{ctx.mode}"


# Use with ``route_class=IdempotentRoute`` on the router (kro.idempotency.routing).
UserIdempotency = idempotent(user_scope)
ApiKeyIdempotency = idempotent(api_key_scope)
# The errors of the key, in the contract of every route that takes it. (Until
# kro.idempotency.routing declares them on its dependency itself.)
IDEMPOTENCY_ERRORS = (InvalidIdempotencyKey, IdempotencyKeyReused, IdempotencyKeyInUse)
for _idempotency in (UserIdempotency, ApiKeyIdempotency):
    raises(*IDEMPOTENCY_ERRORS)(_idempotency.dependency)
