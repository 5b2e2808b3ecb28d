"""Idempotency errors (rendered in the envelope by kro.kit.api)."""

from kro.kit.errors import Conflict, Unprocessable


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with other parameters."


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    message = "A request with this Idempotency-Key is still being processed; retry later."
