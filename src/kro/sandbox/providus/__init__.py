"""A faithful local simulator of Providus Bank's virtual accounts (PiP / "Xpress account" /
Digital Collection Service), for funding by bank transfer.

Use::

    sandbox = ProvidusSandbox(ProvidusSandboxConfig(clients={id: secret}, notification_url=...))
    app.mount("/sandbox/providus", sandbox.app)      # and enter ``sandbox.running()``
    # or standalone: uvicorn.run(create_app(config), port=N)

Providus's paths (relative to the mount), ``Client-Id`` + ``X-Auth-Signature`` on all
(the signature is the upper-case hex SHA-512 of ``"client_id:client_secret"``, static):

- ``POST /PiPCreateDynamicAccountNumber {account_name}``: a one-time account, valid 10 minutes
  by default (``dynamic_account_validity``, up to 48 h) → ``{account_number, account_name,
  requestSuccessful: true, responseMessage: "OPERATION SUCCESSFUL", responseCode: "00",
  initiationTranRef}``
- ``POST /PiPCreateReservedAccountNumber {account_name, bvn}`` (one per BVN, no expiry)
- ``POST /PiPUpdateAccountName`` · ``POST /PiPBlacklistAccount``
- ``GET /PiPverifyTransaction?session_id=…`` / ``?settlement_id=…``

Errors: ``{requestSuccessful: false, responseMessage, responseCode: "03"}``.

Lifecycle: a customer's transfer into an account (``POST /_sandbox/transfers``, amount in kobo)
settles at once, less the collection fee and VAT on it, and a settlement notification is POSTed
to ``notification_url`` with ``Client-Id`` and ``X-Auth-Signature``. Body (amounts are naira
**strings**, ``tranDateTime`` is Lagos time)::

    {"sessionId", "accountNumber", "tranRemarks", "transactionAmount", "settledAmount",
     "feeAmount", "vatAmount", "currency", "initiationTranRef", "settlementId",
     "sourceAccountNumber", "sourceAccountName", "sourceBankName", "channelId", "tranDateTime"}

The merchant must answer HTTP 200 ``{requestSuccessful, sessionId, responseMessage,
responseCode}``; ``00`` (accepted) and ``01`` (duplicate) end the delivery, anything else is
retried on ``notification_retry_schedule``. A dynamic account takes one transfer: a second one,
or one after expiry, is refused (409) as the payer's bank would refuse it.

Control endpoints (``/_sandbox/…``: transfers, accounts, notifications list/resend, tick) are
documented in :mod:`kro.sandbox.providus.control`.

Known differences from Providus (whose public documentation is thin, providers.md 5.2 [S]):
HTTP statuses of errors (400/401/404/409) and the retry schedule are assumed [U]; only NGN;
``PiPverifyTransaction`` for an unknown id answers 200 with empty fields and
``responseMessage: "TRANSACTION NOT FOUND"``.
"""

from kro.sandbox.providus.app import ProvidusSandbox, create_app
from kro.sandbox.providus.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    ProvidusSandboxConfig,
)
from kro.sandbox.providus.util import signature

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "ProvidusSandbox",
    "ProvidusSandboxConfig",
    "create_app",
    "signature",
]
