"""Rules of webhook endpoints, as data and pure functions: event types, URLs, secrets."""

from __future__ import annotations

import base64
import ipaddress
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from kro.webhooks.errors import InvalidEventType, InvalidWebhookUrl

# Event types a tenant can subscribe to (``data`` is the object named by the prefix, as the
# merchant API shows it; amounts in minor units).
EVENT_TYPES: tuple[str, ...] = (
    "payment.completed",
    "payment.failed",
    "payment.requires_action",
    "payment.processing",
    "payment.authorized",
    "payment.captured",
    "payment.canceled",
    "payment.refunded",
    "payment.needs_review",
    "refund.completed",
    "refund.failed",
)
# Sent only by ``POST /v1/webhook-endpoints/{id}/test``, to that endpoint; not subscribable.
TEST_EVENT = "webhook.test"
ALL_EVENTS = "*"

# Standard Webhooks: a symmetric secret is 24–64 random bytes, base64, prefixed ``whsec_``.
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MAX_URL_LENGTH = 2048

# Why an endpoint is disabled (``webhook_endpoints.disabled_reason``), and how we say it.
REASON_GONE = "gone"
REASON_FAILING = "failing"
REASON_MANUAL = "manual"
REASON_TEXT: dict[str, str] = {
    REASON_GONE: "it answered 410 Gone, which asks us to stop",
    REASON_FAILING: "its deliveries have failed without a success for 5 days",
    REASON_MANUAL: "it was disabled through the API",
}


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_events(events: Iterable[str]) -> list[str]:
    """The subscription, deduplicated in order; ``["*"]`` alone if it contains ``"*"``.

    Raises :class:`InvalidEventType` (422 ``invalid_event_type``) naming the unknown types,
    or for an empty list."""
    wanted = list(dict.fromkeys(events))
    if not wanted:
        raise InvalidEventType(
            "Subscribe to at least one event type (or '*').",
            details={"allowed": [ALL_EVENTS, *EVENT_TYPES]},
        )
    if ALL_EVENTS in wanted:
        return [ALL_EVENTS]
    unknown = [e for e in wanted if e not in EVENT_TYPES]
    if unknown:
        raise InvalidEventType(
            f"Unknown event type(s): {', '.join(unknown)}.",
            details={"unknown": unknown, "allowed": [ALL_EVENTS, *EVENT_TYPES]},
        )
    return wanted


def check_url(url: str, mode: str, *, allow_internal: bool = False) -> str:
    """``url`` if a tenant may receive webhooks there in ``mode``.

    Test mode: any absolute ``http``/``https`` URL, on a public host — or on a developer's
    machine when ``allow_internal`` (``KRO_WEBHOOK_INTERNAL_TEST_URLS``, never in production).
    Live mode: ``https`` only, and not ``localhost`` or a loopback, private, link-local or
    reserved IP literal — our servers must not be pointed at our own network. (Host names
    that resolve to such addresses need an egress proxy to stop; that is deployment's job.)
    Raises :class:`InvalidWebhookUrl` (422 ``invalid_webhook_url``)."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise InvalidWebhookUrl(f"Not a URL: {exc}.") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidWebhookUrl("Use an absolute http:// or https:// URL.")
    if mode == "live" and parts.scheme != "https":
        raise InvalidWebhookUrl("Live-mode endpoints must use https.")
    if (mode == "live" or not allow_internal) and _is_internal(host):
        raise InvalidWebhookUrl("Webhook endpoints must be publicly reachable hosts.")
    return url


def _is_internal(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global
