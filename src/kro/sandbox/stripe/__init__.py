"""A faithful local simulator of Stripe (test mode): PaymentIntents, refunds and webhooks —
our stripe-mock with state, that the official ``stripe`` SDK talks to unchanged.

Use::

    sandbox = StripeSandbox(StripeSandboxConfig(accounts=[StripeAccount(...)],
                                                public_base_url=..., webhook_url=...))
    app.mount("/sandbox/stripe", sandbox.app)       # and enter ``sandbox.running()``
    # or standalone: uvicorn.run(create_app(config), port=N)
    stripe.StripeClient("sk_test_…", base_addresses={"api": "<mount URL>"})

Stripe's paths under ``/v1`` (:mod:`kro.sandbox.stripe.api`): PaymentIntents (create, retrieve,
list, search, confirm, capture, cancel), refunds, charges, balance transactions, events; form
bodies with bracket syntax, Basic or Bearer auth, Stripe's error shape and statuses, and
``Idempotency-Key`` replay (:mod:`kro.sandbox.stripe.idempotency`). Amounts are minor units.

Test payment methods (:mod:`kro.sandbox.stripe.intents`): ``pm_card_visa`` succeeds,
``pm_card_chargeDeclined*`` are declined (402 ``card_error``), ``pm_card_threeDSecure2Required``
needs the hosted page (``next_action.redirect_to_url``).

Hosted page ``/pay/{pi_id}`` (:mod:`kro.sandbox.stripe.page`) — the sandbox's own stand-in
for Stripe Checkout and 3-D Secure: a PaymentIntent created without a payment method is paid
or declined there, and the browser goes back to the return URL with ``redirect_status``.

Webhooks (:mod:`kro.sandbox.stripe.webhooks`): Stripe events signed with ``Stripe-Signature``
(``t=…,v1=…``, HMAC-SHA256 of ``"{t}.{body}"`` with the ``whsec_…`` secret), retried with
exponential back-off for about three days.

Known differences from Stripe [U]: one webhook endpoint per account receiving every event
type; the retry intervals; refunds settle after ``refund_settle_delay`` and never fail; the
charge's ``metadata`` mirrors the PaymentIntent's; search is immediately consistent (Stripe's
lags up to a minute) and supports ``metadata['k']:'v'`` and ``status``/``currency`` clauses
only; one charge per PaymentIntent is kept (the latest).
"""

from kro.sandbox.stripe.app import StripeSandbox, create_app
from kro.sandbox.stripe.config import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_SECRET_KEY,
    DEFAULT_WEBHOOK_SECRET,
    FeeRule,
    StripeAccount,
    StripeSandboxConfig,
)
from kro.sandbox.stripe.webhooks import signature_header

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_PUBLISHABLE_KEY",
    "DEFAULT_SECRET_KEY",
    "DEFAULT_WEBHOOK_SECRET",
    "FeeRule",
    "StripeAccount",
    "StripeSandbox",
    "StripeSandboxConfig",
    "create_app",
    "signature_header",
]
