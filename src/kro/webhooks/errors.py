"""Errors of the outgoing webhooks (rendered in the envelope by ``kro.kit.api``)."""

from kro.kit.errors import Conflict, NotFound, Unprocessable


class WebhookEndpointNotFound(NotFound):
    """Also what another tenant's (or the other mode's) endpoint id gets."""

    code = "webhook_endpoint_not_found"
    message = "No such webhook endpoint."


class EventNotFound(NotFound):
    """Also what another tenant's (or the other mode's) event id gets."""

    code = "event_not_found"
    message = "No such event."


class InvalidEventType(Unprocessable):
    """An ``enabled_events`` entry that is neither ``"*"`` nor in ``EVENT_TYPES``."""

    code = "invalid_event_type"
    message = "Unknown event type."


class InvalidWebhookUrl(Unprocessable):
    """Not an absolute http(s) URL, http in live mode, or a private address in live mode."""

    code = "invalid_webhook_url"
    message = "The webhook URL is not accepted."


class WebhookEndpointDisabled(Conflict):
    """Test messages and manual retries go only to enabled endpoints."""

    code = "webhook_endpoint_disabled"
    message = "This webhook endpoint is disabled; enable it first."
