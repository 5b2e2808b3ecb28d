"""Paystack sandbox fixtures (shared with ``tests/providers``)."""

from tests.sandbox.paystack_fixtures import http, paystack, receiver, sandbox

__all__ = ["http", "paystack", "receiver", "sandbox"]
