"""Fixtures of the operations tests: the SMTP sink of tests/notifications (the crash tests'
platform sends its emails there; no messaging simulator runs beside it)."""

from tests.notifications.messaging_fixtures import smtp

__all__ = ["smtp"]
