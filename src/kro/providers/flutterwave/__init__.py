"""The Flutterwave v3 adapter: :class:`FlutterwaveGateway` (the ``PaymentProvider``),
:class:`FlutterwaveClient` and the webhook helpers.

Only the base URL and the keys tell the real Flutterwave from ``kro.sandbox.flutterwave``.
Amounts cross this boundary as ``int`` minor units; Flutterwave's major-unit numbers are
converted here with ``Decimal``.
"""

from kro.providers.errors import FlutterwaveWebhookInvalid as InvalidWebhookPayload
from kro.providers.flutterwave.amounts import to_flutterwave, to_minor
from kro.providers.flutterwave.client import PROVIDER, TRANSACTION_NOT_FOUND, FlutterwaveClient
from kro.providers.flutterwave.gateway import FlutterwaveGateway, to_charge, to_refund
from kro.providers.flutterwave.schemas import (
    FlutterwaveEvent,
    FlutterwaveRefund,
    FlutterwaveTransaction,
    TransactionPage,
)
from kro.providers.flutterwave.webhooks import (
    compute_signature,
    event_key,
    parse_event,
    verify_signature,
)

__all__ = [
    "PROVIDER",
    "TRANSACTION_NOT_FOUND",
    "FlutterwaveClient",
    "FlutterwaveEvent",
    "FlutterwaveGateway",
    "FlutterwaveRefund",
    "FlutterwaveTransaction",
    "InvalidWebhookPayload",
    "TransactionPage",
    "compute_signature",
    "event_key",
    "parse_event",
    "to_charge",
    "to_flutterwave",
    "to_minor",
    "to_refund",
    "verify_signature",
]
