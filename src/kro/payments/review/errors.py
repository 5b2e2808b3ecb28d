"""Errors of an admin's decision on a payment in review (:mod:`kro.payments.review.service`)."""

from kro.kit.errors import Conflict


class PaymentNotInReview(Conflict):
    """Decided already (by another admin, or its refund is on its way), or never in review."""

    code = "payment_not_in_review"
    message = "The payment is no longer waiting for a review decision."


class ProviderHasNoCharge(Conflict):
    """The provider's status endpoint, asked again, no longer reports money taken."""

    code = "review_charge_not_confirmed"
    message = "The provider no longer reports a successful charge; nothing was decided."


class ReviewCurrencyDiffers(Conflict):
    """The provider took another currency: it cannot be booked to the owner's account in ours,
    only refunded."""

    code = "review_currency_differs"
    message = "The provider charged another currency: refund it instead of accepting it."


class ReviewRefundOnly(Conflict):
    """A refund was decided and refused by the provider: what it took is parked for the payer,
    so the payment can only be refunded again."""

    code = "review_refund_only"
    message = "A refund was already decided for this payment: it can only be refunded again."
