"""The Fincra adapter (card / bank-transfer collections through Fincra's hosted checkout):
:class:`FincraClient` and the webhook helpers.

Only the base URL and the keys tell the real Fincra from ``kro.sandbox.fincra``. Amounts cross
this boundary as ``int`` minor units; Fincra's major-unit numbers are converted here with
``Decimal``.
"""

from kro.providers.errors import FincraWebhookInvalid as InvalidWebhookPayload
from kro.providers.fincra.amounts import to_fincra, to_minor
from kro.providers.fincra.client import PAYMENT_NOT_FOUND, PROVIDER, FincraClient
from kro.providers.fincra.schemas import (
    PENDING_STATUSES,
    CheckoutLink,
    FincraEvent,
    FincraPayment,
)
from kro.providers.fincra.webhooks import (
    compute_signature,
    event_key,
    parse_event,
    verify_signature,
)

__all__ = [
    "PAYMENT_NOT_FOUND",
    "PENDING_STATUSES",
    "PROVIDER",
    "CheckoutLink",
    "FincraClient",
    "FincraEvent",
    "FincraPayment",
    "InvalidWebhookPayload",
    "compute_signature",
    "event_key",
    "parse_event",
    "to_fincra",
    "to_minor",
    "verify_signature",
]
