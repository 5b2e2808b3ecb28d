"""Typed dependencies of the tenants' own routes: ``UserIdempotency`` (Idempotency-Key for a
signed-in member). API-key authentication (``CurrentTenant``) is the core's:
:mod:`kro.identity.dependencies`."""

from __future__ import annotations

from kro.idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from kro.idempotency.routing import idempotent, user_scope
from kro.kit.errors import InvalidIdempotencyKey
from kro.kit.openapi import raises

# Use with ``route_class=IdempotentRoute`` on the router (kro.idempotency.routing).
UserIdempotency = idempotent(user_scope)
# The errors of the key, in the contract of every route that takes it. (Until
# kro.idempotency.routing declares them on its dependency itself.)
IDEMPOTENCY_ERRORS = (InvalidIdempotencyKey, IdempotencyKeyReused, IdempotencyKeyInUse)
raises(*IDEMPOTENCY_ERRORS)(UserIdempotency.dependency)
