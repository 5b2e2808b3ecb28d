"""Payments errors."""

from kro.kit.errors import NotFound, Unauthorized


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    message = "No such payment."


class InvalidWebhookSignature(Unauthorized):
    code = "invalid_signature"
    message = "The webhook signature does not match the body."


class UnknownProvider(NotFound):
    code = "unknown_provider"
    message = "No such provider."
