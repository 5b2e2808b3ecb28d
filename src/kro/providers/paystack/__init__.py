"""The Paystack adapter (paystack.com/docs/api): :class:`PaystackClient`, webhook helpers.

Only the base URL and the secret key tell the real Paystack from ``kro.sandbox.paystack``.
"""

from kro.providers.errors import PaystackWebhookInvalid as InvalidWebhookPayload
from kro.providers.paystack.client import PaystackClient
from kro.providers.paystack.schemas import (
    Bank,
    InitializedTransaction,
    PaystackEvent,
    Refund,
    ResolvedAccount,
    Transaction,
    Transfer,
    TransferRecipient,
)
from kro.providers.paystack.webhooks import (
    compute_signature,
    event_key,
    parse_event,
    verify_signature,
)

__all__ = [
    "Bank",
    "InitializedTransaction",
    "InvalidWebhookPayload",
    "PaystackClient",
    "PaystackEvent",
    "Refund",
    "ResolvedAccount",
    "Transaction",
    "Transfer",
    "TransferRecipient",
    "compute_signature",
    "event_key",
    "parse_event",
    "verify_signature",
]
