"""Escrow errors."""

from kro.kit.errors import Conflict, Forbidden, NotFound, Unprocessable


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
