"""A faithful local simulator of Fincra's checkout (card / bank transfer collections).

Use::

    sandbox = FincraSandbox(FincraSandboxConfig(merchants=[FincraMerchant(...)],
                                                public_base_url=..., webhook_url=...))
    app.mount("/sandbox/fincra", sandbox.app)      # and enter ``sandbox.running()``
    # or standalone: uvicorn.run(create_app(config), port=N)

Fincra's paths (relative to the mount; docs.fincra.com, providers.md 5.1):

- ``POST /checkout/payments`` (``api-key`` + ``x-pub-key``): amount in **major units**
  (``10000`` is ₦10,000) → ``{"status": true, "message": "Payment transaction initiated",
  "data": {"reference", "link"}}``; ``link`` is the hosted checkout ``/pay/{reference}``.
- ``GET /checkout/payments/merchant-reference/{reference}`` (``api-key`` + ``x-business-id``):
  verify by the merchant's reference.
- Hosted page ``GET /pay/{reference}`` with *Pay* / *Decline*; programmatically
  ``POST {link}/pay`` or ``POST {link}/decline`` (see :mod:`kro.sandbox.fincra.page`).

Webhooks: on a successful payment ``charge.successful`` is POSTed to ``webhook_url``, header
``signature`` = hex HMAC-SHA512 of the compact JSON body keyed with the business's webhook
secret key, and retried until a 2xx (:mod:`kro.sandbox.fincra.webhooks`). Fincra sends no
webhook for a failed checkout.

Control endpoints (``/_sandbox/…``: show/pay a checkout, list/resend webhooks, tick) are in
:mod:`kro.sandbox.fincra.control`.

Known differences from Fincra, whose public docs leave these open [U]: HTTP statuses other
than the documented 401s; the duplicate-reference answer (409); the verify ``data`` is the
charges-webhook object plus the checkout-webhook fields; unpaid checkouts report ``pending``;
the fee rule (1.4 % capped, VAT 7.5 % on it) and the retry schedule are assumptions.
"""

from kro.sandbox.fincra.app import FincraSandbox, create_app
from kro.sandbox.fincra.config import (
    DEFAULT_BUSINESS_ID,
    DEFAULT_PUBLIC_KEY,
    DEFAULT_SECRET_KEY,
    DEFAULT_WEBHOOK_SECRET,
    FincraMerchant,
    FincraSandboxConfig,
)
from kro.sandbox.fincra.util import sign

__all__ = [
    "DEFAULT_BUSINESS_ID",
    "DEFAULT_PUBLIC_KEY",
    "DEFAULT_SECRET_KEY",
    "DEFAULT_WEBHOOK_SECRET",
    "FincraMerchant",
    "FincraSandbox",
    "FincraSandboxConfig",
    "create_app",
    "sign",
]
