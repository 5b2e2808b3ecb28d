"""Per-request context (request id), carried in a contextvar so logs and envelopes see it."""

from __future__ import annotations

from contextvars import ContextVar

from kro.kit.ids import new_id

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str:
    """The request id of the running request, or a fresh one outside a request."""
    rid = request_id_var.get()
    return rid if rid is not None else new_id("req")
