"""The Providus adapter (virtual accounts for bank-transfer funding): :class:`ProvidusClient`
and the settlement-notification helpers.

Only the base URL and the client id/secret tell the real Providus from
``kro.sandbox.providus``. Amounts cross this boundary as ``int`` kobo; Providus's naira strings
are converted here with ``Decimal``.
"""

from kro.providers.errors import ProvidusNotificationInvalid as InvalidNotification
from kro.providers.providus.client import PROVIDER, TRANSACTION_NOT_FOUND, ProvidusClient
from kro.providers.providus.schemas import DynamicAccount, ReservedAccount, Settlement
from kro.providers.providus.webhooks import (
    compute_signature,
    parse_notification,
    session_id_of,
    verify_signature,
)

__all__ = [
    "PROVIDER",
    "TRANSACTION_NOT_FOUND",
    "DynamicAccount",
    "InvalidNotification",
    "ProvidusClient",
    "ReservedAccount",
    "Settlement",
    "compute_signature",
    "parse_notification",
    "session_id_of",
    "verify_signature",
]
