"""The escrow order lifecycle as data (seed 001, with the funding step explicit).

::

    created ──accept (seller)──▶ accepted ──fund (system)──▶ funded ──start (seller)──▶
    in_progress ──complete (seller)──▶ completed ──close (system, last condition)──▶ closed

    created ──decline (seller)──▶ declined
    created | accepted ──cancel (buyer)──▶ cancelled      (only before funding)
    created | accepted ──expire (system)──▶ expired
    funded ──cancel (buyer, before start)──▶ refunded (full refund)
    completed ──auto_release (system, inspection period over)──▶ closed
    in_progress | completed ──report_issue (buyer)──▶ issue_reported
    issue_reported ──release (buyer)──▶ closed
    issue_reported ──escalate (either party)──▶ disputed
    issue_reported | disputed ──resolve_release | resolve_split (admin, TOTP)──▶ closed
    issue_reported | disputed ──resolve_refund (admin, TOTP)──▶ refunded

Who may take each action is :data:`ACTORS`; the table is checked in one place,
:func:`kro.kit.states.StateMachine.next`.
"""

from __future__ import annotations

from typing import Literal

from kro.kit.states import StateMachine

CREATED = "created"
ACCEPTED = "accepted"
FUNDED = "funded"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
CLOSED = "closed"
DECLINED = "declined"
CANCELLED = "cancelled"
EXPIRED = "expired"
ISSUE_REPORTED = "issue_reported"
DISPUTED = "disputed"
REFUNDED = "refunded"

ORDER = StateMachine(
    "order",
    {
        (CREATED, "accept"): ACCEPTED,
        (CREATED, "decline"): DECLINED,
        (CREATED, "cancel"): CANCELLED,
        (ACCEPTED, "cancel"): CANCELLED,
        (CREATED, "expire"): EXPIRED,
        (ACCEPTED, "expire"): EXPIRED,
        (ACCEPTED, "fund"): FUNDED,
        (FUNDED, "start"): IN_PROGRESS,
        (IN_PROGRESS, "complete"): COMPLETED,
        (COMPLETED, "close"): CLOSED,
        # Inspection period over without fulfilment or complaint (Escrow.com's rule).
        (COMPLETED, "auto_release"): CLOSED,
        # A funded order the seller has not started: the buyer may cancel for a full refund.
        (FUNDED, "cancel"): REFUNDED,
        # Issues and disputes (seed 001: ISSUE_REPORTED / DISPUTED → resolution, REFUNDED).
        (IN_PROGRESS, "report_issue"): ISSUE_REPORTED,
        (COMPLETED, "report_issue"): ISSUE_REPORTED,
        (ISSUE_REPORTED, "release"): CLOSED,
        (ISSUE_REPORTED, "escalate"): DISPUTED,
        (ISSUE_REPORTED, "resolve_release"): CLOSED,
        (ISSUE_REPORTED, "resolve_refund"): REFUNDED,
        (ISSUE_REPORTED, "resolve_split"): CLOSED,
        (DISPUTED, "resolve_release"): CLOSED,
        (DISPUTED, "resolve_refund"): REFUNDED,
        (DISPUTED, "resolve_split"): CLOSED,
    },
    terminal=[CLOSED, DECLINED, CANCELLED, EXPIRED, REFUNDED],
)

Party = Literal["buyer", "seller", "system", "admin"]

ACTORS: dict[str, Party] = {
    "accept": "seller",
    "decline": "seller",
    "cancel": "buyer",
    "start": "seller",
    "complete": "seller",
    "pay": "buyer",
    "fulfil": "buyer",
    "fund": "system",
    "close": "system",
    "expire": "system",
    "auto_release": "system",
    "report_issue": "buyer",
    "release": "buyer",
    "respond": "seller",
    "resolve_release": "admin",
    "resolve_refund": "admin",
    "resolve_split": "admin",
}

# Either party may escalate an issue to a dispute, and post messages and evidence on it.
EITHER_PARTY = frozenset({"escalate", "message"})

# States in which the buyer may start a checkout, and in which conditions may be fulfilled.
PAYABLE = frozenset({ACCEPTED})
FULFILLABLE = frozenset({COMPLETED})


def available(status: str, role: str) -> frozenset[str]:
    """What ``role`` (``buyer`` | ``seller``) may do to an order in ``status`` now: the
    table's actions that role takes, plus ``pay`` and ``fulfil`` where they apply. Pages
    show only these buttons; the services still check every action."""
    actions = {
        action
        for (source, action) in ORDER.table
        if source == status and (ACTORS.get(action) == role or action in EITHER_PARTY)
    }
    if role == "buyer" and status in PAYABLE:
        actions.add("pay")
    if role == "buyer" and status in FULFILLABLE:
        actions.add("fulfil")
    return frozenset(actions)
