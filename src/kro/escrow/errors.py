"""Escrow errors."""

from kro.kit.errors import Conflict, Forbidden, KroError, NotFound, Unprocessable


class OrderNotFound(NotFound):
    code = "order_not_found"
    message = "No such order."


class ConditionNotFound(NotFound):
    code = "condition_not_found"
    message = "No such condition on this order."


class NotOrderParty(Forbidden):
    code = "not_allowed_for_party"
    message = "Only the other party of this order can do this."


class SellerNotFound(Unprocessable):
    code = "seller_not_found"
    message = "No user has the seller's email."


class SelfDealing(Unprocessable):
    code = "buyer_is_seller"
    message = "The buyer and the seller must be different people."


class AmountBelowFee(Unprocessable):
    code = "amount_below_fee"
    message = "The amount does not cover the platform fee."


class PaymentAlreadyReceived(Conflict):
    code = "payment_already_received"
    message = "The buyer's payment for this order has already been received."


class CurrencyNotSupported(Unprocessable):
    code = "currency_not_supported"
    message = "Escrow orders are in NGN for now."


class OrderNotCompleted(Conflict):
    code = "order_not_completed"
    message = "Conditions can be fulfilled only after the seller marks the order completed."


class NoOpenIssue(Conflict):
    code = "no_open_issue"
    message = "There is no open issue on this order."


class EvidenceNotFound(NotFound):
    code = "evidence_not_found"
    message = "No such evidence."


class UnsupportedFileType(KroError):
    status = 415
    code = "unsupported_file_type"
    message = "Evidence must be PNG, JPEG, WebP, PDF or plain text."


class FileTooLarge(KroError):
    status = 413
    code = "file_too_large"
    message = "The file is too large."


class TemplateNotFound(NotFound):
    code = "template_not_found"
    message = "No such condition template."


class InvalidSplit(Unprocessable):
    """A split must pay the seller something and leave the buyer something."""

    code = "invalid_split"
    message = "seller_amount is out of range."
