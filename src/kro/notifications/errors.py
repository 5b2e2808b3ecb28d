"""Notification errors (rendered in the envelope by kro.kit.api)."""

from kro.kit.errors import Unprocessable


class UnknownEvent(Unprocessable):
    code = "unknown_notification_event"
    message = "No such notification event, or its preferences cannot be changed."


class AllProvidersFailed(Exception):
    """Every provider of the channel failed this time; the job retries with backoff."""
