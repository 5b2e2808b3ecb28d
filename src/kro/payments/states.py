"""The payment lifecycle as data — one for every payment, a merchant's (seed 003 §2.2, §4.1)
or a product's (escrow, marketplace, giving, pensions).

::

    pending ──submit──▶ processing                      (a provider accepted, or may have)
    pending ──fail──▶ failed                            (no provider would take it)
    processing ──require_action──▶ requires_action      (hosted checkout, 3-D Secure)
    processing | requires_action ──authorize──▶ requires_capture   (manual capture)
    processing | requires_action ──succeed──▶ completed
    processing | requires_action ──fail──▶ failed
    processing | requires_action ──flag──▶ needs_review (the provider took another amount or
                                                         currency: nothing is booked; an
                                                         operator decides)
    needs_review ──accept──▶ completed                  (an admin books what the provider
                                                         captured; kro.payments.review)
    needs_review ──refund_all──▶ refunded               (an admin refunds it in full: the
                                                         refund is pending until the provider
                                                         confirms, the status moves then; a
                                                         refused refund leaves it in review)
    requires_action ──underpay──▶ underpaid             (a bank transfer below the amount: it
                                                         went to the payer's wallet)
    failed ──succeed_late──▶ completed                  (paid after a decline; see below)
    requires_capture ──capture──▶ completed             (all or part of the authorization)
    requires_capture ──cancel──▶ canceled               (released, or the hold expired)
    completed ──refund_part──▶ partially_refunded ──refund_part──▶ partially_refunded
    completed | partially_refunded ──refund_all──▶ refunded

``failed`` is final for us but not always for the customer: a hosted checkout (Paystack,
Stripe) can still be paid after a declined attempt. When the provider's status endpoint then
reports the charge succeeded, the money is real and is booked (``succeed_late``), never lost.

A late provider answer may skip a step (``processing`` straight to ``completed``); the table
allows exactly the skips a provider can cause. Each transition is one ``payment_events`` row,
written by :func:`kro.payments.charges.transition`.
"""

from __future__ import annotations

from kro.kit.states import StateMachine

PENDING = "pending"
PROCESSING = "processing"
REQUIRES_ACTION = "requires_action"
REQUIRES_CAPTURE = "requires_capture"
COMPLETED = "completed"
FAILED = "failed"
CANCELED = "canceled"
PARTIALLY_REFUNDED = "partially_refunded"
REFUNDED = "refunded"
NEEDS_REVIEW = "needs_review"
UNDERPAID = "underpaid"

GATEWAY = StateMachine(
    "payment",
    {
        (PENDING, "submit"): PROCESSING,
        (PENDING, "fail"): FAILED,
        (PROCESSING, "require_action"): REQUIRES_ACTION,
        (PROCESSING, "authorize"): REQUIRES_CAPTURE,
        (PROCESSING, "succeed"): COMPLETED,
        (PROCESSING, "fail"): FAILED,
        (REQUIRES_ACTION, "authorize"): REQUIRES_CAPTURE,
        (REQUIRES_ACTION, "succeed"): COMPLETED,
        (REQUIRES_ACTION, "fail"): FAILED,
        (PROCESSING, "flag"): NEEDS_REVIEW,
        (REQUIRES_ACTION, "flag"): NEEDS_REVIEW,
        (NEEDS_REVIEW, "accept"): COMPLETED,
        (NEEDS_REVIEW, "refund_all"): REFUNDED,
        (REQUIRES_ACTION, "underpay"): UNDERPAID,
        (FAILED, "succeed_late"): COMPLETED,
        (REQUIRES_CAPTURE, "capture"): COMPLETED,
        (REQUIRES_CAPTURE, "cancel"): CANCELED,
        (COMPLETED, "refund_part"): PARTIALLY_REFUNDED,
        (PARTIALLY_REFUNDED, "refund_part"): PARTIALLY_REFUNDED,
        (COMPLETED, "refund_all"): REFUNDED,
        (PARTIALLY_REFUNDED, "refund_all"): REFUNDED,
    },
    terminal=[CANCELED, REFUNDED, UNDERPAID],
)

OPEN = frozenset({PENDING, PROCESSING, REQUIRES_ACTION})
"""Statuses whose outcome is still to come from the provider (reconciliation asks)."""

CAPTURED = frozenset({COMPLETED, PARTIALLY_REFUNDED, REFUNDED})
"""Statuses in which money was taken (refundable while not ``refunded``)."""

REFUNDABLE = frozenset({COMPLETED, PARTIALLY_REFUNDED, NEEDS_REVIEW})
"""Statuses a refund may be requested in (:mod:`kro.payments.refunds`); ``needs_review`` only
once an admin's decision has booked what the provider captured (``amount_captured``)."""

RECEIVED = CAPTURED | {NEEDS_REVIEW}
"""Statuses in which the payer's money reached the provider (a product must not ask again)."""
