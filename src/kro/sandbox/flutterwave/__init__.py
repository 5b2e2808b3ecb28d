"""A faithful local simulator of Flutterwave v3: standard (hosted) checkout, verify, list,
refunds and ``charge.completed`` webhooks.

Use::

    sandbox = FlutterwaveSandbox(FlutterwaveSandboxConfig(merchants=[FlutterwaveMerchant(...)],
                                                          public_base_url=..., webhook_url=...))
    app.mount("/sandbox/flutterwave", sandbox.app)     # and enter ``sandbox.running()``
    # or standalone: uvicorn.run(create_app(config), port=N)

The adapter's base URL is the mount (``…/sandbox/flutterwave``); paths are Flutterwave's own
(``/v3/payments``, ``/v3/transactions/:id/verify``, …; :mod:`kro.sandbox.flutterwave.api`),
with ``Authorization: Bearer FLWSECK_TEST-…``, the ``{"status": "success"|"error", "message",
"data"}`` envelope and **major units**. The hosted link ``/hosted/pay/{token}`` shows *Pay*,
*Decline* and *Cancel* (:mod:`kro.sandbox.flutterwave.page`). Webhooks carry ``verif-hash``
(the secret hash in plain text) and ``flutterwave-signature`` (base64 HMAC-SHA256 of the body)
and are retried (:mod:`kro.sandbox.flutterwave.webhooks`). Control endpoints: ``/_sandbox``
(:mod:`kro.sandbox.flutterwave.control`), including the fault switch.

Assumptions where Flutterwave's docs are silent [U]: HTTP statuses other than 401; a
duplicate ``tx_ref`` is a 400; an unpaid link is a ``pending`` transaction with an id;
``failed`` is final; the fee (1.4 %, capped ₦2,000 for NGN, borne by the merchant); the
refund lifecycle (``pending`` → ``completed`` after ``refund_delay``), with no refund webhook;
the retry schedule (3 retries, 30 min apart); 10 rows per list page.
"""

from kro.sandbox.flutterwave.app import FlutterwaveSandbox, create_app
from kro.sandbox.flutterwave.config import (
    DEFAULT_PUBLIC_KEY,
    DEFAULT_SECRET_HASH,
    DEFAULT_SECRET_KEY,
    FlutterwaveMerchant,
    FlutterwaveSandboxConfig,
)
from kro.sandbox.flutterwave.util import sign

__all__ = [
    "DEFAULT_PUBLIC_KEY",
    "DEFAULT_SECRET_HASH",
    "DEFAULT_SECRET_KEY",
    "FlutterwaveMerchant",
    "FlutterwaveSandbox",
    "FlutterwaveSandboxConfig",
    "create_app",
    "sign",
]
