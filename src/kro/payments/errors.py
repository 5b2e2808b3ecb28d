"""Payments errors."""

from kro.kit.errors import NotFound, Unauthorized, Unprocessable


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    message = "No such payment."


class InvalidWebhookSignature(Unauthorized):
    code = "invalid_signature"
    message = "The webhook signature does not match the body."


class UnknownProvider(NotFound):
    code = "unknown_provider"
    message = "No such provider."


class BankTransferUnavailable(Unprocessable):
    """Bank transfer into a dynamic account: over- and under-payments go to the payer's
    wallet, so it needs a known payer, and Providus takes naira only."""

    code = "bank_transfer_unavailable"
    message = "Bank transfer takes naira from a known payer only."
