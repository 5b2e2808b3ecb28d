"""Payouts errors."""

from kro.kit.errors import BadRequest, Conflict, NotFound, Unprocessable


class BankAccountNotFound(NotFound):
    code = "bank_account_not_found"
    message = "No such bank account."


class PayoutNotFound(NotFound):
    code = "payout_not_found"
    message = "No such payout."


class AccountNotResolved(Unprocessable):
    code = "account_not_resolved"
    message = "The bank could not confirm this account number."


class UnknownBank(Unprocessable):
    code = "unknown_bank"
    message = "No bank has this code."


class IdempotencyKeyRequired(BadRequest):
    code = "idempotency_key_required"
    message = "Send an Idempotency-Key header with this request."


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was used with different parameters."


class CurrencyNotSupported(Unprocessable):
    code = "currency_not_supported"
    message = "Payouts in this currency are not supported."


class PayoutNotAwaitingApproval(Conflict):
    code = "payout_not_awaiting_approval"
    message = "This payout is not waiting for approval."
