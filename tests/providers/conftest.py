"""The adapter is tested against the Paystack sandbox over real HTTP."""

from tests.sandbox.paystack_fixtures import http, paystack, receiver, sandbox

__all__ = ["http", "paystack", "receiver", "sandbox"]
