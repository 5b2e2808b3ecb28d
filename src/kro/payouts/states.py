"""The payout lifecycle as data (DESIGN.md section 5: state machines are data).

::

    (request) ──▶ pending                 the wallet hold is placed; the transfer is queued
    (request) ──▶ pending_approval        the same, above the approval threshold

    pending_approval ──approve (admin, TOTP)──▶ pending
    pending_approval ──reject (admin, TOTP)──▶ failed          the hold is voided
    pending ──send──▶ processing          Paystack accepted the transfer, or may have (timeout)
    pending | processing ──succeed──▶ success                  the hold is posted
    pending | processing ──fail──▶ failed                      the hold is voided
    pending | processing ──reverse──▶ reversed                 the hold is voided
    success ──reverse──▶ reversed         the bank returned it: the money goes back to the wallet
    failed | reversed ──paid_after_release──▶ needs_review     Paystack paid after we released
                                                               the hold: an operator looks

A provider's verified answer may skip ``processing`` (the ``transfer.*`` webhook can be settled
while the job that sent the transfer is still waiting for Paystack's answer): the table allows
exactly those skips. ``needs_review`` is the only terminal status; ``failed`` and ``reversed``
are final for the user but Paystack's word can still contradict them.

The table is checked in one place, :func:`kro.payouts.service.transition`, which records each
transition as a ``payout_events`` row.
"""

from __future__ import annotations

from kro.kit.states import StateMachine

PENDING_APPROVAL = "pending_approval"
PENDING = "pending"
PROCESSING = "processing"
SUCCESS = "success"
FAILED = "failed"
REVERSED = "reversed"
NEEDS_REVIEW = "needs_review"

PAYOUT = StateMachine(
    "payout",
    {
        (PENDING_APPROVAL, "approve"): PENDING,
        (PENDING_APPROVAL, "reject"): FAILED,
        (PENDING, "send"): PROCESSING,
        (PENDING, "succeed"): SUCCESS,
        (PENDING, "fail"): FAILED,
        (PENDING, "reverse"): REVERSED,
        (PROCESSING, "succeed"): SUCCESS,
        (PROCESSING, "fail"): FAILED,
        (PROCESSING, "reverse"): REVERSED,
        (SUCCESS, "reverse"): REVERSED,
        (FAILED, "paid_after_release"): NEEDS_REVIEW,
        (REVERSED, "paid_after_release"): NEEDS_REVIEW,
    },
    terminal=[NEEDS_REVIEW],
)

REQUEST = "request"
"""The action recorded (from no status) when a payout is created."""

ENTRY = frozenset({PENDING, PENDING_APPROVAL})
"""The statuses a payout is created in (see :func:`entry_status`)."""

OPEN = frozenset({PENDING, PROCESSING})
"""The wallet hold is still pending: Paystack's answer decides what happens to it."""


def entry_status(amount: int, approval_threshold: int | None) -> str:
    """``pending_approval`` when ``amount`` (minor units) is above ``approval_threshold``
    (minor units; None: no approval needed), else ``pending`` (seed 001: admin approval of
    large payouts, with TOTP)."""
    if approval_threshold is not None and amount > approval_threshold:
        return PENDING_APPROVAL
    return PENDING
