"""A faithful local simulator of Paystack's API (test mode), like stripe-mock for Stripe.

Use::

    sandbox = PaystackSandbox(PaystackSandboxConfig(secret_keys=[...], webhook_url=...))
    app.mount("/sandbox/paystack", sandbox.app)      # and enter ``sandbox.running()``
    # or standalone: uvicorn.run(create_app(config), port=N)

Paystack's paths (relative to the mount), ``Authorization: Bearer <secret key>`` on all:

- ``POST /transaction/initialize`` · ``GET /transaction/verify/{reference}``
- ``GET /transaction?perPage=&page=&from=&to=&status=&customer=`` · ``GET /transaction/{id}``
- ``POST /refund`` (``transaction``, ``amount``, ``currency``, ``customer_note``,
  ``merchant_note``) · ``GET /refund/{id}`` ·
  ``GET /refund?transaction=&currency=&from=&to=&perPage=&page=``
- ``GET /bank`` · ``GET /bank/resolve?account_number=&bank_code=``
- ``POST /transferrecipient`` · ``POST /transfer`` · ``GET /transfer/verify/{reference}``
- ``GET /balance``

Lists are newest first with Paystack's ``meta: {total, skipped, perPage, page, pageCount}``
(``perPage`` 50 by default, at most 100); ``from`` (inclusive) and ``to`` (exclusive; a
date-only ``to`` covers its whole day) filter on ``created_at`` and take ISO dates or
datetimes. Envelopes, messages, units (kobo), statuses and error shapes are Paystack's
(``{status, message, data}`` / ``{status: false, message, meta: {nextStep}, type, code}``);
timestamps are ISO-8601 with milliseconds and ``Z``; ``domain`` is ``"test"``.

Lifecycle:

- A transaction is ``abandoned`` until paid on the hosted checkout
  (``authorization_url = {public_base_url}/checkout/{access_code}``). *Pay* makes it
  ``success`` with fees (1.5 % + ₦100, ₦100 waived under ₦2,500, capped at ₦2,000), ``paid_at``
  and a ``charge.success`` webhook; *Decline* makes it ``failed``. Programmatically::

      POST {public_base_url}/checkout/{access_code}/pay       (or /decline; no auth, no body)
      → {"status": true, "message": "Payment successful",
         "data": {"reference": ..., "status": "success", "redirect_url": ...}}

- A refund is ``pending`` (``refund.pending`` webhook), then ``processed`` after
  ``refund_process_after`` seconds (``refund.processed``); a fully refunded transaction
  becomes ``reversed``.
- A transfer is ``pending``; after ``transfer_settle_after`` seconds it becomes ``success``
  (``transfer.success``), or ``failed`` / ``reversed`` for the accounts below.
- Webhooks are signed with ``x-paystack-signature`` (HMAC-SHA512 of the raw body, keyed by the
  secret key) and retried on ``webhook_retry_schedule`` (test mode: hourly for 10 h).

Test data (every account resolves at every bank):

=============  =====================  =================================
Bank code      Bank                   Account numbers
=============  =====================  =================================
044            Access Bank            0000000001 ADAEZE OKAFOR
058            Guaranty Trust Bank    0000000002 BABATUNDE ADEYEMI
033            United Bank For Africa 0000000003 CHINEDU EZE
057            Zenith Bank            0000000004 FATIMA BELLO
011            First Bank of Nigeria  0000000005 NGOZI NWOSU
50211          Kuda Bank              0000000006 OLUWASEUN BAKARE
070 214 232    Fidelity, FCMB,        0000000007 EMEKA OBI
035 221 050    Sterling, Wema,        0000000008 → transfers settle ``reversed``
999992         Stanbic, Ecobank, OPay 0000000009 → transfers settle ``failed``
=============  =====================  =================================

Any other account number fails name enquiry with Paystack's 422 "Could not resolve account
name. Check parameters or try again.". Test card shown on checkout: 4084 0840 8408 4081.

Control endpoints (``/_sandbox/…``: webhook list/resend/send, forced transfer outcomes, tick,
balance) are documented in :mod:`kro.sandbox.paystack.control`.

Known differences from Paystack: only ``nuban`` recipients and card payments; no OTP on
transfers; ``session`` is also present on the initiate-transfer answer (pypaystack2's model
requires it); ``GET /bank`` pages by ``page``/``perPage`` (no cursor).
"""

from kro.sandbox.paystack.app import PaystackSandbox, create_app
from kro.sandbox.paystack.config import DEFAULT_SECRET_KEY, PaystackSandboxConfig
from kro.sandbox.paystack.data import FAILING_ACCOUNT_NUMBER, REVERSING_ACCOUNT_NUMBER

__all__ = [
    "DEFAULT_SECRET_KEY",
    "FAILING_ACCOUNT_NUMBER",
    "REVERSING_ACCOUNT_NUMBER",
    "PaystackSandbox",
    "PaystackSandboxConfig",
    "create_app",
]
