"""Ledger errors: expected business failures, rendered by the one error handler (kit.api).

Codes mirror TigerBeetle's result codes where one exists (``exceeds_credits`` →
``insufficient_funds``, ``exists_with_different_*`` → ``transfer_id_reused``, …).
"""

from __future__ import annotations

from kro.kit.errors import Conflict, NotFound, Unprocessable


class InvalidTransfer(Unprocessable):
    """The request itself is malformed (amount ≤ 0, same account on both sides, …)."""

    code = "invalid_transfer"
    message = "The transfer is invalid."


class InvalidAccount(Unprocessable):
    """An account definition is malformed (unknown kind, both limit flags, …)."""

    code = "invalid_ledger_account"
    message = "The ledger account definition is invalid."


class AccountNotFound(NotFound):
    code = "ledger_account_not_found"
    message = "Ledger account not found."


class AccountExists(Conflict):
    """An account with this code exists with a different currency, kind, flags or owner."""

    code = "ledger_account_exists"
    message = "A ledger account with this code exists with different attributes."


class CurrencyMismatch(Unprocessable):
    code = "currency_mismatch"
    message = "The transfer currency does not match the accounts' currency."


class InsufficientFunds(Conflict):
    """A flagged account would exceed its limit (TigerBeetle ``exceeds_credits``/``_debits``)."""

    code = "insufficient_funds"
    message = "The account does not have enough funds."


class TransferExists(Conflict):
    """The transfer id was already used for a transfer with different fields."""

    code = "transfer_id_reused"
    message = "A transfer with this id already exists with different fields."


class PendingTransferNotFound(NotFound):
    code = "pending_transfer_not_found"
    message = "Pending transfer not found."


class PendingTransferNotPending(Conflict):
    """The referenced transfer is not a hold, or it was already posted, voided or expired."""

    code = "pending_transfer_not_pending"
    message = "The transfer is not pending."


class PendingTransferExpired(Conflict):
    code = "pending_transfer_expired"
    message = "The pending transfer has expired."


class ExceedsPendingAmount(Unprocessable):
    code = "exceeds_pending_transfer_amount"
    message = "The amount to post exceeds the pending amount."


class LedgerBusy(Conflict):
    """Concurrent writers kept changing the same rows; the whole request may be retried."""

    code = "ledger_busy"
    message = "The ledger is busy; retry the request."
