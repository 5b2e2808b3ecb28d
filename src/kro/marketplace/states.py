"""The marketplace order lifecycle as data (seed 004, Fiverr's rules, Sharetribe's timers).

::

    pending ──pay (system, payment verified)──▶ paid ──start (buyer: requirements)──▶
    in_progress ──deliver (seller)──▶ delivered ──accept (buyer)──▶ completed
    delivered ──request_revision (buyer)──▶ in_progress      (counted against the package)
    delivered ──auto_complete (system, 3 days after the last delivery)──▶ completed
    pending ──cancel (buyer) | expire (system)──▶ cancelled
    paid | in_progress ──cancel_late (buyer, late + grace)──▶ cancelled (full refund)
    paid | in_progress | delivered ──hard_limit (system)──▶ cancelled (full refund)
    paid | in_progress | delivered ──mutual_cancel (admin)──▶ cancelled (full refund)
    paid | in_progress | delivered ──request_cancellation | decline_cancellation (a party)──▶
        the same state (a mutual cancellation asked for, or refused by the other party)
    paid | in_progress | delivered ──agree_cancellation (the other party)
        | cancellation_timeout (system, 48 h unanswered)──▶ cancelled (full refund)
    paid | in_progress | delivered ──add_extra (system: an extra's payment verified)──▶ same
    completed ──tip (system: a tip's payment verified)──▶ completed
    completed ──refund (admin, within clearance)──▶ refunded (pending earnings clawed back)
    paid | in_progress | delivered ──dispute (either party)──▶ disputed   (timers frozen)
    disputed ──resolve_complete | resolve_split (admin, TOTP)──▶ completed
    disputed ──resolve_cancel (admin, TOTP)──▶ cancelled (full refund)

Who takes each action is :data:`ACTORS`. A timer fires only from the state it was set for
(:meth:`StateMachine.next` refuses anything else), so a timer whose order moved first does
nothing.
"""

from __future__ import annotations

from kro.kit.states import StateMachine

PENDING = "pending"
PAID = "paid"
IN_PROGRESS = "in_progress"
DELIVERED = "delivered"
COMPLETED = "completed"
CANCELLED = "cancelled"
REFUNDED = "refunded"
DISPUTED = "disputed"

ORDER = StateMachine(
    "order",
    {
        (PENDING, "pay"): PAID,
        (PENDING, "cancel"): CANCELLED,
        (PENDING, "expire"): CANCELLED,
        (PAID, "start"): IN_PROGRESS,
        (IN_PROGRESS, "deliver"): DELIVERED,
        (DELIVERED, "request_revision"): IN_PROGRESS,
        (DELIVERED, "accept"): COMPLETED,
        (DELIVERED, "auto_complete"): COMPLETED,
        (PAID, "cancel_late"): CANCELLED,
        (IN_PROGRESS, "cancel_late"): CANCELLED,
        (PAID, "hard_limit"): CANCELLED,
        (IN_PROGRESS, "hard_limit"): CANCELLED,
        (DELIVERED, "hard_limit"): CANCELLED,
        (PAID, "mutual_cancel"): CANCELLED,
        (IN_PROGRESS, "mutual_cancel"): CANCELLED,
        (DELIVERED, "mutual_cancel"): CANCELLED,
        **{(s, "request_cancellation"): s for s in (PAID, IN_PROGRESS, DELIVERED)},
        **{(s, "decline_cancellation"): s for s in (PAID, IN_PROGRESS, DELIVERED)},
        **{(s, "agree_cancellation"): CANCELLED for s in (PAID, IN_PROGRESS, DELIVERED)},
        **{(s, "cancellation_timeout"): CANCELLED for s in (PAID, IN_PROGRESS, DELIVERED)},
        **{(s, "add_extra"): s for s in (PAID, IN_PROGRESS, DELIVERED)},
        (COMPLETED, "tip"): COMPLETED,
        (COMPLETED, "refund"): REFUNDED,
        (PAID, "dispute"): DISPUTED,
        (IN_PROGRESS, "dispute"): DISPUTED,
        (DELIVERED, "dispute"): DISPUTED,
        (DISPUTED, "resolve_complete"): COMPLETED,
        (DISPUTED, "resolve_split"): COMPLETED,
        (DISPUTED, "resolve_cancel"): CANCELLED,
    },
    terminal=[CANCELLED, REFUNDED],
)

ACTORS: dict[str, str] = {
    "pay": "system",
    "cancel": "buyer",
    "expire": "system",
    "start": "buyer",
    "deliver": "seller",
    "request_revision": "buyer",
    "accept": "buyer",
    "auto_complete": "system",
    "cancel_late": "buyer",
    "hard_limit": "system",
    "mutual_cancel": "admin",
    "request_cancellation": "either",
    "decline_cancellation": "either",
    "agree_cancellation": "either",
    "cancellation_timeout": "system",
    "add_extra": "system",
    "tip": "system",
    "refund": "admin",
    "dispute": "either",
    "resolve_complete": "admin",
    "resolve_split": "admin",
    "resolve_cancel": "admin",
}

# Orders whose money is held in escrow (holds placed, not yet posted or voided). A disputed
# order's money is held too, but no timer touches it (they select these states only).
HELD = frozenset({PAID, IN_PROGRESS, DELIVERED})


# A pending mutual cancellation: its requester waits; the other party answers.
ANSWERS = frozenset({"agree_cancellation", "decline_cancellation"})


def available(
    status: str, role: str, cancel_requested_by_role: str | None = None
) -> frozenset[str]:
    """What ``role`` may do to an order in ``status`` now (pages show only these), given
    the role of whoever asked for a mutual cancellation that is still pending (if any):
    only the other party answers it, and nobody asks twice."""
    allowed = {
        action
        for (source, action) in ORDER.table
        if source == status and ACTORS[action] in (role, "either")
    }
    if cancel_requested_by_role is None or status not in HELD:
        return frozenset(allowed - ANSWERS)
    allowed.discard("request_cancellation")
    if cancel_requested_by_role == role:
        allowed -= ANSWERS
    return frozenset(allowed)
