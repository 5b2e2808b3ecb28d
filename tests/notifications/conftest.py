"""Notification tests: fixtures live in :mod:`tests.notifications.messaging_fixtures`."""

from tests.notifications.messaging_fixtures import messaging, messaging_server, settings, smtp

__all__ = ["messaging", "messaging_server", "settings", "smtp"]
