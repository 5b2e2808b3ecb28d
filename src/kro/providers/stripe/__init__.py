"""The Stripe adapter (PaymentIntents, refunds, webhooks) over the official ``stripe`` SDK:
:class:`StripeGateway`, a :class:`kro.providers.base.PaymentProvider`.

Only the base URL and the keys tell the real Stripe from ``kro.sandbox.stripe``. Amounts cross
this boundary as ``int`` minor units, Stripe's own unit.
"""

from kro.providers.errors import StripeWebhookInvalid as InvalidWebhookPayload
from kro.providers.stripe.errors import PROVIDER
from kro.providers.stripe.gateway import StripeGateway, parse_event

__all__ = ["PROVIDER", "InvalidWebhookPayload", "StripeGateway", "parse_event"]
